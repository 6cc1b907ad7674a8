"""Property: whatever editors do, re-extracting every article afterwards keeps their work.

Hypothesis draws articles and what the extractor reads in them, a random sequence of
editors' actions (edit a field, verify, reject, merge, un-merge, unlock) interleaved with
re-extractions of single articles, then a new
extraction of every article (different values, events lost, events found). Afterwards:
every locked field still has the editor's value, every rejected event is still rejected,
every verified event still verified, every merge still in place, and no event an editor
touched has been deleted. Storing the same extractions once more changes nothing.
"""
from __future__ import annotations

from datetime import date

import pytest
from django.contrib.gis.geos import Point
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.models import Event, EventSource
from events.services import (
    LOCKABLE_FIELDS,
    MergeError,
    merge_events,
    set_review_status,
    store_extraction,
    unmerge_event,
    update_event_by_editor,
)

from .factories import ERBIL, HARIR, extraction, make_article, make_editor, strike

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

Status = Event.ReviewStatus
BAGHDAD = (33.3152, 44.3661)
SLOTS = [
    dict(at=HARIR, day=date(2024, 1, 19), sub="Air/drone strike", location="Harir"),
    dict(at=ERBIL, day=date(2024, 1, 19), sub="Air/drone strike", location="Erbil"),
    dict(at=HARIR, day=date(2024, 1, 20), sub="Shelling/artillery/missile attack", location="Harir"),
    dict(at=BAGHDAD, day=date(2024, 1, 18), sub="Remote explosive/landmine/IED", location="Baghdad"),
]


@st.composite
def reading(draw):
    """What the extractor reads about one slot in one article."""
    slot = dict(SLOTS[draw(st.integers(0, len(SLOTS) - 1))])
    lat, lon = slot.pop("at")
    jitter = draw(st.sampled_from([0.0, 0.005, -0.01]))
    return strike(
        at=(lat + jitter, lon), precision=draw(st.sampled_from([1, 1, 2])),
        fatalities=draw(st.one_of(st.none(), st.integers(0, 12))),
        actor1=draw(st.sampled_from(["Islamic Resistance in Iraq", "Kataib Hezbollah", "Unidentified Armed Group"])),
        weapon=draw(st.sampled_from(["drone", "rocket", ""])),
        confidence=draw(st.sampled_from([0.3, 0.6, 0.9])),
        **slot,
    )


articles_readings = st.lists(st.lists(reading(), min_size=0, max_size=3), min_size=1, max_size=3)

EDIT_VALUES = {
    "fatalities": st.integers(0, 50),
    "actor1": st.sampled_from(["Hezbollah", "ISIS", "Military Forces of Iraq"]),
    "event_date": st.sampled_from([date(2024, 1, 10), date(2024, 1, 19), date(2024, 2, 2)]),
    "point": st.sampled_from([Point(44.0, 36.0, srid=4326), Point(44.3622, 36.5363, srid=4326), Point(45.5, 34.1, srid=4326)]),
    "notes": st.text(alphabet="abc حرير<>&", max_size=12),
    "weapon": st.sampled_from(["missile", "artillery"]),
    "sub_event_type": st.sampled_from(["Armed clash", "Air/drone strike"]),
    "geo_precision": st.integers(1, 3),
}

action = st.one_of(
    st.tuples(st.just("edit"), st.integers(0, 20), st.sampled_from(sorted(EDIT_VALUES)).flatmap(
        lambda f: st.tuples(st.just(f), EDIT_VALUES[f]))),
    st.tuples(st.just("status"), st.integers(0, 20), st.sampled_from([Status.VERIFIED, Status.REJECTED, Status.UNREVIEWED])),
    st.tuples(st.just("merge"), st.integers(0, 20), st.integers(0, 20)),
    st.tuples(st.just("unmerge"), st.integers(0, 20), st.none()),
    st.tuples(st.just("unlock"), st.integers(0, 20), st.none()),
    st.tuples(st.just("re-extract"), st.integers(0, 20), st.lists(reading(), max_size=3)),
)


def apply(op, editor, articles) -> None:
    kind, i, arg = op
    if kind == "re-extract":  # the machine between two editors' actions
        store_extraction(article=articles[i % len(articles)], extraction=extraction(*arg, version="v1.5"))
        return
    events = list(Event.objects.order_by("pk"))
    if not events:
        return
    event = events[i % len(events)]
    if kind == "edit":
        name, value = arg
        update_event_by_editor(event=event, changes={name: value}, user=editor)
    elif kind == "status":
        set_review_status(events=[event], status=arg, user=editor)
    elif kind == "merge":
        other = events[arg % len(events)]
        try:
            merge_events(survivor=other, others=[event], user=editor)
        except MergeError:
            pass
    elif kind == "unmerge":
        if event.review_status == Status.MERGED:
            unmerge_event(event=event, user=editor)
    elif kind == "unlock" and event.locked_fields:
        update_event_by_editor(event=event, changes={"locked_fields": event.locked_fields[1:]}, user=editor)


def locked_values(event: Event) -> dict:
    out = {}
    for name in event.locked_fields:
        value = event.site_id if name == "site" else getattr(event, name)
        out[name] = value.wkt if isinstance(value, Point) else value
    return out


def state() -> list:
    return [(e.pk, e.version, e.updated_at, e.evidence, locked_values(e), e.review_status, e.merged_into_id)
            for e in Event.objects.order_by("pk")] + list(EventSource.objects.order_by("pk").values_list(
        "event_id", "article_id", "extracted", "merged_from_id"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(first=articles_readings, actions=st.lists(action, max_size=8), second=st.data())
def test_editors_work_survives_any_re_extraction(first, actions, second):
    with transaction.atomic():
        editor = make_editor("property-editor")
        articles = [make_article() for _ in first]
        for article, readings in zip(articles, first):
            store_extraction(article=article, extraction=extraction(*readings))
        for op in actions:
            apply(op, editor, articles)

        before = {e.pk: e for e in Event.objects.all()}
        expected = {pk: (locked_values(e), e.review_status, e.merged_into_id) for pk, e in before.items()}
        touched = {pk for pk, e in before.items() if e.review_status != Status.UNREVIEWED or e.locked_fields
                   or Event.objects.filter(merged_into=e).exists()}

        new_readings = [second.draw(st.lists(reading(), max_size=3)) for _ in articles]
        for article, readings in zip(articles, new_readings):
            store_extraction(article=article, extraction=extraction(*readings, version="v2"))

        after = {e.pk: e for e in Event.objects.all()}
        assert touched <= set(after), "an event an editor touched was deleted"
        for pk in touched:
            event = after[pk]
            locks, status, merged_into = expected[pk]
            assert locked_values(event) == locks, f"event {pk}: a locked field changed"
            assert event.review_status == status, f"event {pk}: review status changed"
            assert event.merged_into_id == merged_into, f"event {pk}: merge changed"
            assert set(event.locked_fields) >= set(locks)
        assert all(set(e.locked_fields) <= set(LOCKABLE_FIELDS) for e in after.values())

        snapshot = state()
        for article, readings in zip(articles, new_readings):
            store_extraction(article=article, extraction=extraction(*readings, version="v2"))
        assert state() == snapshot, "storing the same extractions again changed something"
        transaction.set_rollback(True)
