"""Merging duplicates, un-merging them, and going back to an earlier version."""
from __future__ import annotations

from datetime import date

import pytest

from events.models import Event, EventSource
from events.services import (
    MergeError,
    merge_events,
    revert_event,
    set_review_status,
    store_extraction,
    unmerge_event,
    update_event_by_editor,
)

from .factories import ERBIL, extraction, make_article, make_editor, strike

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

Status = Event.ReviewStatus


@pytest.fixture
def editor():
    return make_editor()


@pytest.fixture
def duplicates():
    """The same strike stored twice because one report placed it in Erbil, 50 km away."""
    a, b = make_article(), make_article()
    store_extraction(article=a, extraction=extraction(strike(fatalities=2)))
    store_extraction(article=b, extraction=extraction(strike(at=ERBIL, location="Erbil", fatalities=4)))
    harir, erbil = Event.objects.get(location="Harir"), Event.objects.get(location="Erbil")
    return a, b, harir, erbil


def test_merging_combines_the_sources_and_points_the_others_to_the_survivor(duplicates, editor):
    a, b, harir, erbil = duplicates
    survivor = merge_events(survivor=harir, others=[erbil], user=editor)

    erbil.refresh_from_db()
    assert (erbil.review_status, erbil.merged_into) == (Status.MERGED, survivor)
    assert set(survivor.articles.all()) == {a, b}
    assert survivor.fatalities == 4
    assert survivor.location == "Harir"  # the survivor's place is the more precise one here
    assert erbil.history.latest().history_user == editor


def test_merging_keeps_the_survivors_locked_fields(duplicates, editor):
    _, _, harir, erbil = duplicates
    harir = update_event_by_editor(event=harir, changes={"fatalities": 1}, user=editor)
    survivor = merge_events(survivor=harir, others=[erbil], user=editor)
    assert survivor.fatalities == 1


def test_an_event_cannot_be_merged_twice_or_into_a_merged_event(duplicates, editor):
    _, _, harir, erbil = duplicates
    merge_events(survivor=harir, others=[erbil], user=editor)
    with pytest.raises(MergeError):
        merge_events(survivor=harir, others=[erbil], user=editor)
    with pytest.raises(MergeError):
        merge_events(survivor=erbil, others=[harir], user=editor)
    with pytest.raises(MergeError):
        merge_events(survivor=harir, others=[harir], user=editor)


def test_unmerging_gives_the_event_its_sources_and_status_back(duplicates, editor):
    a, b, harir, erbil = duplicates
    set_review_status(events=[erbil], status=Status.VERIFIED, user=editor)
    merge_events(survivor=harir, others=[erbil], user=editor)

    erbil = unmerge_event(event=erbil, user=editor)

    harir.refresh_from_db()
    assert (erbil.review_status, erbil.merged_into) == (Status.VERIFIED, None)
    assert list(harir.articles.all()) == [a] and list(erbil.articles.all()) == [b]
    assert harir.fatalities == 2


def test_re_extracting_a_merged_events_article_leaves_it_merged_and_its_survivor_informed(duplicates, editor):
    _, b, harir, erbil = duplicates
    merge_events(survivor=harir, others=[erbil], user=editor)

    store_extraction(article=b, extraction=extraction(strike(at=ERBIL, location="Erbil", fatalities=6), version="v2"))

    erbil.refresh_from_db()
    harir.refresh_from_db()
    assert (erbil.review_status, erbil.merged_into_id) == (Status.MERGED, harir.pk)
    assert harir.fatalities == 6
    assert Event.objects.count() == 2


def test_a_new_report_of_a_merged_event_goes_to_its_survivor(duplicates, editor):
    _, _, harir, erbil = duplicates
    merge_events(survivor=harir, others=[erbil], user=editor)
    c = make_article()
    store_extraction(article=c, extraction=extraction(strike(at=ERBIL, location="Erbil")))
    assert EventSource.objects.get(article=c).event == harir
    assert Event.objects.count() == 2


def test_merges_of_merges_unmerge_cleanly(editor):
    arts = [make_article() for _ in range(3)]
    places = [(36.5, 44.3), (36.0, 43.0), (35.0, 42.0)]
    for art, at in zip(arts, places):
        store_extraction(article=art, extraction=extraction(strike(at=at, location=str(at))))
    e1, e2, e3 = Event.objects.order_by("pk")
    merge_events(survivor=e2, others=[e1], user=editor)
    merge_events(survivor=e3, others=[e2], user=editor)
    assert set(e3.articles.all()) == set(arts)

    unmerge_event(event=e1, user=editor)
    assert set(e3.articles.all()) == {arts[1], arts[2]}
    assert set(e2.articles.all()) == {arts[1]}


def test_reverting_to_an_earlier_version_restores_the_values_and_locks_them(duplicates, editor):
    a, _, harir, _ = duplicates
    original = harir.history.earliest()
    harir = update_event_by_editor(event=harir, changes={"fatalities": 9, "event_date": date(2024, 1, 1)}, user=editor)

    harir = revert_event(event=harir, history_id=original.history_id, user=editor)

    assert (harir.fatalities, harir.event_date) == (2, date(2024, 1, 19))
    assert {"fatalities", "event_date"} <= set(harir.locked_fields)
    store_extraction(article=a, extraction=extraction(strike(fatalities=5), version="v2"))
    harir.refresh_from_db()
    assert harir.fatalities == 2


def test_reverting_a_merged_event_to_before_its_merge_unmerges_it(duplicates, editor):
    _, b, harir, erbil = duplicates
    before = erbil.history.latest()
    merge_events(survivor=harir, others=[erbil], user=editor)
    erbil = revert_event(event=erbil, history_id=before.history_id, user=editor)
    assert (erbil.review_status, erbil.merged_into) == (Status.UNREVIEWED, None)
    assert list(erbil.articles.all()) == [b]
    assert b not in harir.articles.all()


def test_an_article_that_now_reports_the_survivor_directly_stays_with_it_after_unmerge(duplicates, editor):
    _, b, harir, erbil = duplicates
    merge_events(survivor=harir, others=[erbil], user=editor)
    corrected = extraction(strike(fatalities=4), version="v2")  # the extractor now places b's report at Harir
    store_extraction(article=b, extraction=corrected)
    link = EventSource.objects.get(event=harir, article=b)
    assert link.merged_from is None  # no longer a copy brought by the merge

    before = list(EventSource.objects.order_by("pk").values_list("pk", "event_id", "merged_from_id", "extracted"))
    store_extraction(article=b, extraction=corrected)
    assert list(EventSource.objects.order_by("pk").values_list("pk", "event_id", "merged_from_id", "extracted")) == before

    unmerge_event(event=erbil, user=editor)
    assert b in harir.articles.all()
