"""The database itself refuses what the models say is invalid."""
from __future__ import annotations

from datetime import date

import pytest
from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction

from events.models import Event, EventSource
from ingest.models import Article

from .factories import make_article

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def event(**fields) -> Event:
    values = dict(event_date=date(2024, 1, 19), disorder_type="Political violence",
                  event_type="Explosions/Remote violence", sub_event_type="Air/drone strike",
                  point=Point(44.36, 36.53, srid=4326))
    values.update(fields)
    return Event(**values)


def refused(obj) -> bool:
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        return True
    return False


def test_an_article_url_is_unique():
    Article.objects.create(canonical_url="https://news.example/a", content_hash="1")
    assert refused(Article(canonical_url="https://news.example/a", content_hash="2"))


def test_an_article_content_hash_is_unique():
    Article.objects.create(canonical_url="https://news.example/a", content_hash="same")
    assert refused(Article(canonical_url="https://news.example/b", content_hash="same"))


def test_articles_without_url_or_hash_do_not_collide():
    Article.objects.create(canonical_url=None, content_hash=None)
    assert not refused(Article(canonical_url=None, content_hash=None))


@pytest.mark.parametrize("name", ["time_precision", "geo_precision"])
@pytest.mark.parametrize("value,ok", [(0, False), (1, True), (3, True), (4, False)])
def test_precision_codes_are_1_to_3(name, value, ok):
    assert refused(event(**{name: value})) is not ok


@pytest.mark.parametrize("lon,lat,ok", [(44.36, 36.53, True), (-180, -90, True), (180.5, 10, False), (10, 91, False)])
def test_an_events_point_is_inside_the_world(lon, lat, ok):
    assert refused(event(point=Point(lon, lat, srid=4326))) is not ok


def test_an_event_may_have_no_point_yet():
    assert not refused(event(point=None))


@pytest.mark.parametrize("value,ok", [(0.0, True), (1.0, True), (1.5, False), (-0.1, False)])
def test_confidence_is_between_0_and_1(value, ok):
    assert refused(event(confidence=value)) is not ok


def test_an_article_reports_an_event_once():
    e, article = event(), make_article()
    e.save()
    EventSource.objects.create(event=e, article=article)
    assert refused(EventSource(event=e, article=article))
