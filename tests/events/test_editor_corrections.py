"""Editors' corrections stick: locked fields, rejections and verifications survive the machine."""
from __future__ import annotations

from datetime import date

import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError

from events.models import Event
from events.services import (
    EventChanged,
    LOCKABLE_FIELDS,
    set_review_status,
    store_extraction,
    update_event_by_editor,
)

from .factories import ERBIL, extraction, make_article, make_editor, only_event, strike

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


@pytest.fixture
def editor():
    return make_editor()


@pytest.fixture
def stored():
    article = make_article()
    store_extraction(article=article, extraction=extraction(strike(fatalities=2)))
    return article, only_event()


def test_a_field_the_editor_changes_is_locked(stored, editor):
    _, event = stored
    event = update_event_by_editor(event=event, changes={"fatalities": 7}, user=editor)
    assert event.fatalities == 7
    assert "fatalities" in event.locked_fields


def test_changing_the_date_locks_its_precision_and_moving_the_point_its_geo_precision(stored, editor):
    _, event = stored
    event = update_event_by_editor(event=event, changes={"event_date": date(2024, 1, 18)}, user=editor)
    assert {"event_date", "time_precision"} <= set(event.locked_fields)
    event = update_event_by_editor(event=event, changes={"point": Point(44.0, 36.2, srid=4326)}, user=editor)
    assert {"point", "geo_precision"} <= set(event.locked_fields)


def test_changing_the_sub_event_type_sets_and_locks_the_event_and_disorder_types(stored, editor):
    _, event = stored
    event = update_event_by_editor(event=event, changes={"sub_event_type": "Armed clash"}, user=editor)
    assert (event.event_type, event.disorder_type) == ("Battles", "Political violence")
    assert {"sub_event_type", "event_type", "disorder_type"} <= set(event.locked_fields)


def test_an_unchanged_value_is_not_a_change(stored, editor):
    _, event = stored
    event = update_event_by_editor(event=event, changes={"fatalities": 2, "location": event.location}, user=editor)
    assert event.locked_fields == [] and event.version == 1


def test_re_extraction_never_changes_a_locked_field_but_still_changes_the_others(stored, editor):
    article, event = stored
    update_event_by_editor(event=event, changes={"fatalities": 7, "actor1": "Kataib Hezbollah"}, user=editor)

    store_extraction(article=article, extraction=extraction(strike(fatalities=3, actor1="Unidentified Armed Group",
                                                                   weapon="rocket"), version="v2"))

    event.refresh_from_db()
    assert (event.fatalities, event.actor1) == (7, "Kataib Hezbollah")
    assert event.weapon == "rocket"


def test_a_new_article_adds_a_source_to_a_locked_event_without_changing_the_locked_field(stored, editor):
    _, event = stored
    update_event_by_editor(event=event, changes={"fatalities": 1}, user=editor)
    store_extraction(article=make_article(), extraction=extraction(strike(fatalities=9)))
    event.refresh_from_db()
    assert event.sources.count() == 2 and event.fatalities == 1


def test_an_event_moved_by_its_editor_is_still_found_when_its_article_is_re_extracted(stored, editor):
    article, event = stored
    update_event_by_editor(event=event, changes={"point": Point(ERBIL[1], ERBIL[0], srid=4326),
                                                 "event_date": date(2024, 1, 10)}, user=editor)
    store_extraction(article=article, extraction=extraction(strike(fatalities=4), version="v2"))
    event = only_event()
    assert event.point.equals_exact(Point(ERBIL[1], ERBIL[0], srid=4326), tolerance=1e-9)
    assert event.event_date == date(2024, 1, 10) and event.fatalities == 4


def test_a_rejected_event_stays_rejected_and_is_not_recreated(stored, editor):
    article, event = stored
    set_review_status(events=[event], status=Event.ReviewStatus.REJECTED, user=editor)

    store_extraction(article=article, extraction=extraction(strike(fatalities=5), version="v2"))
    store_extraction(article=article, extraction=extraction(version="v3"))  # no longer found at all
    store_extraction(article=make_article(), extraction=extraction(strike()))  # another report of it

    event = only_event()
    assert event.review_status == Event.ReviewStatus.REJECTED
    assert event.fatalities == 2
    assert event.sources.count() == 2


def test_a_verified_event_keeps_its_values_and_is_not_removed(stored, editor):
    article, event = stored
    set_review_status(events=[event], status=Event.ReviewStatus.VERIFIED, user=editor)
    store_extraction(article=article, extraction=extraction(strike(fatalities=5), version="v2"))
    assert only_event().fatalities == 2
    store_extraction(article=article, extraction=extraction(version="v3"))
    assert only_event().review_status == Event.ReviewStatus.VERIFIED


def test_a_locked_event_the_new_extraction_no_longer_finds_is_kept(stored, editor):
    article, event = stored
    update_event_by_editor(event=event, changes={"notes": "Checked with a second outlet."}, user=editor)
    result = store_extraction(article=article, extraction=extraction(version="v2"))
    assert result.kept == [event.pk] and only_event().notes == "Checked with a second outlet."


def test_an_editor_can_unlock_a_field_and_the_machine_may_then_change_it(stored, editor):
    article, event = stored
    event = update_event_by_editor(event=event, changes={"fatalities": 7}, user=editor)
    update_event_by_editor(event=event, changes={"locked_fields": []}, user=editor)
    store_extraction(article=article, extraction=extraction(strike(fatalities=3), version="v2"))
    assert only_event().fatalities == 3


def test_a_second_editor_with_an_old_version_is_refused_and_nothing_is_overwritten(stored, editor):
    _, event = stored
    other = make_editor("other")
    loaded = event.version
    update_event_by_editor(event=event, changes={"fatalities": 4}, user=editor, expected_version=loaded)

    with pytest.raises(EventChanged, match="changed by someone else"):
        update_event_by_editor(event=event, changes={"fatalities": 9}, user=other, expected_version=loaded)
    assert only_event().fatalities == 4


def test_re_extraction_that_changes_an_event_also_raises_its_version(stored, editor):
    article, event = stored
    loaded = event.version
    store_extraction(article=article, extraction=extraction(strike(fatalities=3), version="v2"))
    with pytest.raises(EventChanged):
        update_event_by_editor(event=event, changes={"notes": "x"}, user=editor, expected_version=loaded)


def test_invalid_values_are_refused(stored, editor):
    _, event = stored
    with pytest.raises(ValidationError):
        update_event_by_editor(event=event, changes={"geo_precision": 4}, user=editor)
    with pytest.raises(ValidationError):
        update_event_by_editor(event=event, changes={"point": Point(200, 10, srid=4326)}, user=editor)
    with pytest.raises(ValueError):
        update_event_by_editor(event=event, changes={"version": 99}, user=editor)


def test_every_lockable_field_is_a_field_of_the_event():
    names = {f.name for f in Event._meta.get_fields()}
    assert set(LOCKABLE_FIELDS) <= names


def test_history_records_who_changed_what(stored, editor):
    _, event = stored
    update_event_by_editor(event=event, changes={"fatalities": 7}, user=editor)
    latest = event.history.latest()
    assert latest.history_user == editor
    assert "fatalities" in latest.history_change_reason
    assert latest.fatalities == 7 and latest.prev_record.fatalities == 2
