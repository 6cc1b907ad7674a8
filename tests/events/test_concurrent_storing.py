"""Several workers storing at once: one event per strike, however the stores interleave.

Threads with their own database connections stand in for worker processes here (the
locking is in PostgreSQL, so threads and processes meet the same locks); the fault tests
of the reliability suite do the same with real Celery workers.
"""
from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connection

from events.models import Event, EventSource
from events.services import store_extraction

from .factories import NEAR_HARIR, extraction, make_article, strike

pytestmark = [pytest.mark.django_db(transaction=True)]


def run_together(*calls) -> list:
    barrier = threading.Barrier(len(calls))
    errors: list = []

    def worker(call):
        try:
            barrier.wait(timeout=10)
            call()
        except Exception as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


@pytest.fixture(autouse=True)
def needs_postgis():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter (SQLite has one writer)")


def test_two_articles_about_the_same_strike_stored_at_once_make_one_event():
    rounds = 12
    for n in range(rounds):
        day = date(2024, 1, 1) + timedelta(days=n)
        a, b, c = make_article(), make_article(), make_article()
        errors = run_together(
            lambda a=a, day=day: store_extraction(article=a, extraction=extraction(strike(day=day))),
            lambda b=b, day=day: store_extraction(article=b, extraction=extraction(strike(day=day, at=NEAR_HARIR))),
            lambda c=c, day=day: store_extraction(article=c, extraction=extraction(strike(day=day, fatalities=5))),
        )
        assert errors == []
    assert Event.objects.count() == rounds
    assert all(e.sources.count() == 3 for e in Event.objects.all())


def test_the_same_article_stored_by_two_workers_at_once_is_stored_once():
    article = make_article()
    data = extraction(strike(), strike(day=date(2024, 1, 18)))
    errors = run_together(*[lambda: store_extraction(article=article, extraction=data)] * 3)
    assert errors == []
    assert Event.objects.count() == 2
    assert EventSource.objects.count() == 2
