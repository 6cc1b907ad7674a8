"""Storing an extraction: events, sources, sites, evidence, fusion and idempotence."""
from __future__ import annotations

from datetime import date

import pytest
from django.contrib.gis.geos import Point

from events.models import Event, EventSource, Site
from events.services import store_extraction
from ingest.extraction.types import ExtractedSite

from .factories import ARTICLE_TEXT, ERBIL, HARIR, NEAR_HARIR, extraction, make_article, make_site, only_event, strike

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def snapshot():
    """Everything storing may touch, to compare before and after."""
    events = [(e.pk, e.version, e.updated_at, e.evidence, e.locked_fields, e.fatalities, e.event_date)
              for e in Event.objects.order_by("pk")]
    sources = list(EventSource.objects.order_by("pk").values_list("pk", "event_id", "article_id", "extracted"))
    return events, sources, Event.history.count(), list(Site.objects.order_by("pk").values())


def test_an_extracted_event_becomes_an_event_with_its_article_as_source():
    article = make_article()
    result = store_extraction(article=article, extraction=extraction(strike()))

    event = only_event()
    assert result.created == [event.pk]
    assert event.sub_event_type == "Air/drone strike"
    assert event.event_type == "Explosions/Remote violence"
    assert event.disorder_type == "Political violence"
    assert event.event_date == date(2024, 1, 19)
    assert event.point.equals_exact(Point(HARIR[1], HARIR[0], srid=4326), tolerance=1e-9)
    assert (event.actor1, event.inter1, event.fatalities) == ("Islamic Resistance in Iraq", 3, 2)
    assert event.extractor_version == "test-1"
    assert event.review_status == Event.ReviewStatus.UNREVIEWED
    assert list(event.articles.all()) == [article]
    source = event.sources.get()
    assert source.quote == ARTICLE_TEXT[:78]
    assert source.extracted[0]["sub_event_type"] == "Air/drone strike"


def test_evidence_keeps_article_and_span_for_each_field():
    article = make_article()
    store_extraction(article=article, extraction=extraction(strike()))

    evidence = only_event().evidence
    start = ARTICLE_TEXT.index("on Friday")
    assert evidence["event_date"] == [{"article": article.pk, "start": start, "end": start + 9, "text": "on Friday"}]
    assert evidence["location"][0]["text"] == "Harir base"
    for items in evidence.values():
        for item in items:
            assert ARTICLE_TEXT[item["start"]:item["end"]] == item["text"]


def test_the_same_strike_in_a_second_article_is_one_event_with_two_sources():
    first, second = make_article(), make_article(text=ARTICLE_TEXT + " (AFP)")
    store_extraction(article=first, extraction=extraction(strike()))
    result = store_extraction(article=second, extraction=extraction(strike(at=NEAR_HARIR, fatalities=3)))

    event = only_event()
    assert result.fused == [event.pk]
    assert set(event.articles.all()) == {first, second}
    assert event.fatalities == 3  # the highest count reported
    assert {item["article"] for item in event.evidence["event_date"]} == {first.pk, second.pk}


def test_fusion_by_the_same_site_even_when_the_points_are_far_apart():
    make_site()
    first, second = make_article(), make_article()
    store_extraction(article=first, extraction=extraction(strike(site_slug="harir")))
    store_extraction(article=second, extraction=extraction(strike(at=ERBIL, site_slug="harir")))
    assert only_event().sources.count() == 2


@pytest.mark.parametrize("other", [
    dict(day=date(2024, 1, 20)),  # the next day
    dict(at=ERBIL),  # 50 km away
    dict(sub="Shelling/artillery/missile attack"),  # another kind of attack
])
def test_different_day_place_or_type_makes_another_event(other):
    store_extraction(article=make_article(), extraction=extraction(strike()))
    store_extraction(article=make_article(), extraction=extraction(strike(**other)))
    assert Event.objects.count() == 2


def test_a_vaguely_dated_report_joins_the_exact_day_and_the_exact_day_wins():
    store_extraction(article=make_article(), extraction=extraction(strike(day=date(2024, 1, 21), precision=2)))
    store_extraction(article=make_article(), extraction=extraction(strike(day=date(2024, 1, 19), precision=1)))
    event = only_event()
    assert (event.event_date, event.time_precision) == (date(2024, 1, 19), 1)


def test_a_month_only_report_joins_an_event_of_that_month_but_not_of_the_next():
    store_extraction(article=make_article(), extraction=extraction(strike(day=date(2024, 1, 5))))
    store_extraction(article=make_article(), extraction=extraction(strike(day=date(2024, 1, 15), precision=3)))
    store_extraction(article=make_article(), extraction=extraction(strike(day=date(2024, 2, 1))))
    assert Event.objects.count() == 2
    assert Event.objects.get(event_date=date(2024, 1, 5)).sources.count() == 2


def test_storing_the_same_article_again_changes_nothing():
    make_site()
    article = make_article()
    data = extraction(strike(site_slug="harir"), strike(day=date(2024, 1, 18), at=ERBIL, location="Erbil"),
                      sites=[ExtractedSite(name="Harir Air Base", kind="airbase", slug="harir")])
    store_extraction(article=article, extraction=data)
    before = snapshot()

    result = store_extraction(article=article, extraction=data)

    assert snapshot() == before
    assert result.created == [] and result.updated == [] and result.removed == []
    assert len(result.unchanged) == 2


def test_an_event_the_new_extraction_no_longer_finds_is_removed():
    article = make_article()
    store_extraction(article=article, extraction=extraction(strike(), strike(at=ERBIL, location="Erbil")))
    erbil = Event.objects.get(location="Erbil")

    result = store_extraction(article=article, extraction=extraction(strike(), version="test-2"))

    assert result.removed == [erbil.pk]
    assert Event.objects.get().location == "Harir"
    assert Event.objects.get().extractor_version == "test-2"


def test_only_this_articles_source_goes_when_others_still_report_the_event():
    first, second = make_article(), make_article()
    store_extraction(article=first, extraction=extraction(strike(fatalities=5)))
    store_extraction(article=second, extraction=extraction(strike(fatalities=2)))

    store_extraction(article=first, extraction=extraction())

    event = only_event()
    assert list(event.articles.all()) == [second]
    assert event.fatalities == 2
    assert {i["article"] for items in event.evidence.values() for i in items} == {second.pk}


def test_a_changed_reading_of_the_same_article_updates_its_event_in_place():
    article = make_article()
    store_extraction(article=article, extraction=extraction(strike(fatalities=2)))
    event = only_event()

    result = store_extraction(article=article, extraction=extraction(strike(fatalities=4, at=NEAR_HARIR), version="v2"))

    assert result.updated == [event.pk]
    event.refresh_from_db()
    assert (event.fatalities, event.version, event.extractor_version) == (4, 2, "v2")


def test_sites_are_linked_and_their_first_and_last_seen_follow_the_articles():
    site = make_site()
    store_extraction(article=make_article(published=date(2024, 1, 19)),
                     extraction=extraction(strike(site_slug="harir"),
                                           sites=[ExtractedSite(name="Harir Air Base", kind="airbase", slug="harir")]))
    store_extraction(article=make_article(published=date(2023, 12, 2)),
                     extraction=extraction(sites=[ExtractedSite(name="Harir Air Base", kind="airbase", slug="harir")]))
    site.refresh_from_db()
    assert (site.first_seen, site.last_seen) == (date(2023, 12, 2), date(2024, 1, 19))
    assert only_event().site == site


def test_a_site_missing_from_the_gazetteer_is_created_from_the_extraction():
    result = store_extraction(article=make_article(), extraction=extraction(sites=[
        ExtractedSite(name="Tower 22", kind="base", operator="US forces", country="JO", latitude=33.32, longitude=38.69)]))
    site = Site.objects.get()
    assert result.sites_created == [site.pk]
    assert (site.slug, site.operator, site.kind) == ("tower-22-jo", "US forces", "base")


def test_an_event_at_a_site_without_coordinates_takes_the_sites_point():
    make_site()
    store_extraction(article=make_article(), extraction=extraction(strike(at=None, site_slug="harir")))
    assert only_event().point.equals_exact(Point(HARIR[1], HARIR[0], srid=4326), tolerance=1e-9)


def test_undated_or_untyped_events_are_skipped():
    result = store_extraction(article=make_article(), extraction=extraction(
        strike(day=None), strike(sub="Not an ACLED type")))
    assert result.skipped == 2 and Event.objects.count() == 0
