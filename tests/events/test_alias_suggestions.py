"""Learning from editors: the name an article used becomes an alias of the place an editor chose."""
from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point

from events.models import AliasSuggestion
from events.services import accept_alias_suggestion, reject_alias_suggestion, store_extraction, update_event_by_editor
from ingest.extraction.normalise import key

from .factories import ERBIL, extraction, make_article, make_editor, make_place, make_site, only_event, span, strike

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

TEXT = "A drone struck Hareer camp on Friday, security sources said."


@pytest.fixture
def editor():
    return make_editor()


@pytest.fixture
def misplaced():
    """The extractor did not know "Hareer camp" and put the strike in Erbil."""
    ev = strike(at=ERBIL, location="Erbil", text=TEXT, evidence=False)
    ev.evidence = [span(TEXT, "Hareer camp", "location"), span(TEXT, "on Friday", "event_date")]
    store_extraction(article=make_article(text=TEXT), extraction=extraction(ev))
    return only_event()


def test_moving_an_event_onto_a_place_suggests_the_articles_name_as_its_alias(misplaced, editor):
    place = make_place(name="Harir", name_ar="حرير", at=(36.5363, 44.3622))
    update_event_by_editor(event=misplaced, changes={"point": Point(44.3630, 36.5370, srid=4326)}, user=editor)

    suggestion = AliasSuggestion.objects.get()
    assert (suggestion.name, suggestion.place, suggestion.event, suggestion.created_by) == (
        "Hareer camp", place, misplaced, editor)
    assert suggestion.accepted is None


def test_choosing_a_site_suggests_the_name_for_the_site(misplaced, editor):
    site = make_site()
    update_event_by_editor(event=misplaced, changes={"site": site}, user=editor)
    assert AliasSuggestion.objects.get().site == site


def test_no_suggestion_when_the_place_already_has_the_name_or_nothing_is_near(misplaced, editor):
    make_place(name="Harir", names=["Harir", "Hareer Camp"], at=(36.5363, 44.3622))
    update_event_by_editor(event=misplaced, changes={"point": Point(44.3630, 36.5370, srid=4326)}, user=editor)
    update_event_by_editor(event=misplaced, changes={"point": Point(40.0, 30.0, srid=4326)}, user=editor)
    assert not AliasSuggestion.objects.exists()


def test_accepting_adds_the_name_and_its_key_to_the_place(misplaced, editor):
    place = make_place(name="Harir", at=(36.5363, 44.3622))
    update_event_by_editor(event=misplaced, changes={"point": Point(44.3630, 36.5370, srid=4326)}, user=editor)

    accept_alias_suggestion(suggestion=AliasSuggestion.objects.get(), user=editor)

    place.refresh_from_db()
    assert "Hareer camp" in place.names and key("Hareer camp") in place.keys
    assert AliasSuggestion.objects.get().accepted is True
    assert place.history.latest().history_user == editor


def test_accepting_for_a_site_adds_an_alias(misplaced, editor):
    site = make_site()
    update_event_by_editor(event=misplaced, changes={"site": site}, user=editor)
    accept_alias_suggestion(suggestion=AliasSuggestion.objects.get(), user=editor)
    site.refresh_from_db()
    assert site.aliases == ["Hareer camp"]


def test_a_rejected_suggestion_is_not_offered_again(misplaced, editor):
    make_place(name="Harir", at=(36.5363, 44.3622))
    update_event_by_editor(event=misplaced, changes={"point": Point(44.3630, 36.5370, srid=4326)}, user=editor)
    reject_alias_suggestion(suggestion=AliasSuggestion.objects.get(), user=editor)
    update_event_by_editor(event=misplaced, changes={"point": Point(44.3631, 36.5371, srid=4326)}, user=editor)
    assert AliasSuggestion.objects.count() == 1 and AliasSuggestion.objects.get().accepted is False
