"""A Celery worker SIGKILLed in the middle of a task loses nothing and does nothing twice.

Each test starts a real worker, makes it stop at a chosen point of a real ingestion task
(``tests/reliability/worker_hooks.py``: Celery's task signals and Django's SQL hooks, no
mock), kills it there with SIGKILL, starts a new worker and checks the database: every
article ends ``extracted`` (or ``failed`` with its error), no article is stored twice,
no event is stored twice, and no event was created and thrown away on the way.

What makes it hold (settings and ``ingest/tasks.py``): ``acks_late`` (the message stays
in Redis, unacknowledged, until its task returns), the visibility timeout (an
unacknowledged message is handed out again once it has waited that long; lowered to 2 s
here, one hour in production), ``reject_on_worker_lost`` (a pool process that dies hands
its message back at once), the extraction's writes in one transaction with the article
locked (a worker killed inside it leaves nothing), and idempotent tasks (a message
delivered again after its work was committed finds the article up to date).

A worker killed in the middle of *fetching* is tested with the ingestion
(tests/ingest/test_tasks.py::test_a_worker_killed_mid_fetch_loses_nothing_and_does_nothing_twice).
"""
from __future__ import annotations

import os
import signal
import time
from collections import Counter
from datetime import date

import pytest

from tests.harness import WorkerProcess, worker_env
from tests.reliability.services import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

VISIBILITY_TIMEOUT = 2

ARTICLES = [
    ("Drone strike in Bint Jbeil",
     "An Israeli drone strike hit a car in the town of Bint Jbeil in southern Lebanon on Monday, killing two "
     "people, the state news agency said."),
    ("Strike near Qamishli",
     "Turkish drones struck a vehicle near Qamishli in northeastern Syria on Tuesday, killing three fighters of "
     "the SDF."),
    ("غارة على بنت جبيل",
     "قصفت طائرة مسيرة إسرائيلية سيارة في بلدة بنت جبيل جنوب لبنان يوم الاثنين ما أدى إلى مقتل شخصين."),
]
PUBLISHED = date(2025, 11, 4)

@pytest.fixture
def broker():
    """The test broker (our own Redis database), emptied of queued and unacknowledged messages."""
    from conflictmap.celery import app

    def clean():
        app.control.purge()
        with app.connection_for_write() as conn:
            client = conn.default_channel.client
            client.delete("unacked", "unacked_index", "unacked_mutex")

    clean()
    yield app
    clean()


@pytest.fixture
def workers(tmp_path):
    """Workers started by a test, all stopped (by PID) at the end whatever happened."""
    started: list[WorkerProcess] = []
    pause_dir = tmp_path / "pause"
    pause_dir.mkdir()

    def start(point: str) -> WorkerProcess:
        env = worker_env(
            CELERY_EXTRA_IMPORTS="tests.worker_tasks,tests.reliability.worker_hooks",
            CONFLICTMAP_TEST_PAUSE=point, CONFLICTMAP_TEST_PAUSE_DIR=str(pause_dir),
            CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        )
        worker = WorkerProcess(env=env, log_path=tmp_path / f"worker-{len(started)}.log").start(timeout=60)
        started.append(worker)
        return worker

    start.pause_dir = pause_dir
    start.started = started
    yield start
    (pause_dir / "release").touch()
    for worker in started:
        worker.kill()


def unacked(app) -> int:
    with app.connection_for_write() as conn:
        return conn.default_channel.client.hlen("unacked")


def paused_pid(pause_dir) -> int:
    """Wait until a worker process sits at the pause point; its PID."""
    marker = pause_dir / "paused"
    wait_for(lambda: marker.exists() and marker.read_text().endswith("\n"), 60, 0.05, what="the pause point")
    return int(marker.read_text().split()[0])


def submit_articles() -> list[int]:
    from ingest.services import submit_text

    ids = []
    for i, (title, text) in enumerate(ARTICLES):
        outcome = submit_text(text=text, title=title, origin="file", outlet="test", published_date=PUBLISHED,
                              external_id=f"crash-{i}")
        assert outcome.status == "new", outcome
        ids.append(outcome.article_id)
    return ids


def wait_until_settled(ids: list[int], timeout: float = 90) -> None:
    from ingest.models import Article

    final = {Article.Status.EXTRACTED, Article.Status.FAILED}

    def settled():
        return all(status in final for status in Article.objects.filter(pk__in=ids).values_list("status", flat=True))

    wait_for(settled, timeout, 0.25, what="every article extracted or failed")


def assert_nothing_lost_nothing_twice(ids: list[int]) -> None:
    from events.models import Event, EventSource
    from ingest.models import Article

    articles = list(Article.objects.filter(pk__in=ids))
    assert len(articles) == len(ids)
    for article in articles:
        assert article.status == Article.Status.EXTRACTED, (article.pk, article.status, article.error)
        assert article.extracted_at is not None and article.extractor_version
    # Every article reports at least one event, and every event is stored once.
    linked = set(EventSource.objects.filter(article_id__in=ids).values_list("article_id", flat=True))
    assert linked == set(ids)
    events = list(Event.objects.all())
    keys = Counter((e.sub_event_type, e.event_date, e.location, e.country) for e in events)
    assert all(n == 1 for n in keys.values()), f"duplicate events: {keys}"
    pairs = Counter(EventSource.objects.values_list("event_id", "article_id"))
    assert all(n == 1 for n in pairs.values())
    # No event was created by a run that was then rolled back or undone: the history
    # holds one creation per event and no deletion.
    created = Counter(Event.history.filter(history_type="+").values_list("id", flat=True))
    assert sorted(created) == sorted(e.pk for e in events) and all(n == 1 for n in created.values())
    assert not Event.history.filter(history_type="-").exists()


@pytest.mark.parametrize("point", [
    # Inside the extraction's transaction: the first event row is written, nothing is committed.
    'after-sql:INSERT INTO "events_event"',
    # The extraction committed; the worker dies before acknowledging the message.
    "postrun:ingest.tasks.extract_article",
], ids=["mid-transaction", "after-commit-before-ack"])
def test_a_worker_killed_mid_extraction_loses_nothing_and_duplicates_nothing(broker, workers, point):
    from events.models import EventSource
    from ingest.models import Article

    first = workers(point)
    ids = submit_articles()
    paused_pid(workers.pause_dir)
    first.kill()  # SIGKILL to the worker's whole process group, as a crash would
    assert first.proc.poll() is not None
    assert unacked(broker) == 1  # Redis still holds the message the dead worker had taken
    done = list(Article.objects.filter(pk__in=ids, status=Article.Status.EXTRACTED).values_list("pk", flat=True))
    if point.startswith("after-sql"):
        # Killed inside the transaction: PostgreSQL rolled back the rows already written.
        assert done == [] and not EventSource.objects.exists()
    else:
        assert done == [ids[0]]  # committed, not acknowledged
    time.sleep(VISIBILITY_TIMEOUT + 0.5)  # the unacknowledged message becomes visible again
    second = workers(point)  # a new worker; it restores the message and does not pause again
    wait_until_settled(ids)
    assert_nothing_lost_nothing_twice(ids)
    wait_for(lambda: unacked(broker) == 0, 10, what="every message acknowledged")
    if not point.startswith("after-sql"):
        # The message was delivered again and found its work done.
        wait_for(lambda: "'up to date'" in second.log_path.read_text(errors="replace"), 10,
                 what="the redelivered task to find the article up to date")


def test_a_pool_process_killed_mid_extraction_hands_its_task_back_at_once(broker, workers):
    """``reject_on_worker_lost``: the main process survives and requeues without waiting for a timeout."""
    worker = workers('after-sql:INSERT INTO "events_event"')
    ids = submit_articles()
    child = paused_pid(workers.pause_dir)
    assert child != worker.pid and child in worker.child_pids()
    os.kill(child, signal.SIGKILL)
    wait_until_settled(ids, timeout=60)  # the same worker, a new pool process
    assert worker.proc.poll() is None
    assert_nothing_lost_nothing_twice(ids)
