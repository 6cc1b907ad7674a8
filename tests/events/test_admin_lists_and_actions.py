"""The event list, the review queue, bulk actions and alias suggestions, as an editor."""
from __future__ import annotations

import re
from datetime import date

import pytest
from django.contrib.gis.geos import Point

from events.models import AliasSuggestion, Event
from events.services import set_review_status, store_extraction, update_event_by_editor

from .factories import (
    ERBIL,
    extraction,
    make_article,
    make_editor,
    make_place,
    plain_http,  # noqa: F401 (fixture)
    span,
    strike,
)

pytestmark = [pytest.mark.django_db, pytest.mark.smoke, pytest.mark.usefixtures("plain_http")]

Status = Event.ReviewStatus
BAGHDAD = (33.3152, 44.3661)


@pytest.fixture
def editor(client):
    user = make_editor()
    client.force_login(user)
    return user


@pytest.fixture
def three_events():
    """Harir (2 sources, confidence 0.6), Erbil (1 source, 0.3), Baghdad (1 source, 0.9, no fatalities)."""
    a, b, c, d = (make_article() for _ in range(4))
    store_extraction(article=a, extraction=extraction(strike()))
    store_extraction(article=b, extraction=extraction(strike()))
    store_extraction(article=c, extraction=extraction(strike(at=ERBIL, location="Erbil", confidence=0.3)))
    store_extraction(article=d, extraction=extraction(strike(at=BAGHDAD, location="Baghdad", confidence=0.9,
                                                             fatalities=None, actor1="Kataib Hezbollah")))
    return [Event.objects.get(location=n) for n in ("Harir", "Erbil", "Baghdad")]


def ids_in(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'name="_selected_action" value="(\d+)"', html)]


def test_the_event_list_shows_what_an_editor_needs(client, editor, three_events):
    response = client.get("/admin/events/event/")
    assert response.status_code == 200
    html = response.content.decode()
    for column in ("sub_event_type", "location_cell", "actor1_cell", "fatalities", "confidence_cell", "n_sources",
                   "review_status"):
        assert f"column-{column}" in html
    assert '<span dir="auto">Harir</span>' in html
    assert sorted(ids_in(html)) == sorted(e.pk for e in three_events)


@pytest.mark.parametrize("query,expected", [
    ("review_status=unreviewed", {"Harir", "Erbil", "Baghdad"}),
    ("sub_event_type=Air%2Fdrone+strike", {"Harir", "Erbil", "Baghdad"}),
    ("country=IQ", {"Harir", "Erbil", "Baghdad"}),
    ("confidence=low", {"Erbil"}),
    ("confidence=high", {"Baghdad"}),
    ("has_fatalities=yes", {"Harir", "Erbil"}),
    ("has_fatalities=no", {"Baghdad"}),
    ("q=Kataib", {"Baghdad"}),
    ("q=Erbil", {"Erbil"}),
    ("event_date__year=2024&event_date__month=1", {"Harir", "Erbil", "Baghdad"}),
])
def test_filters_search_and_date_hierarchy(client, editor, three_events, query, expected):
    html = client.get(f"/admin/events/event/?{query}").content.decode()
    names = {e.location for e in Event.objects.filter(pk__in=ids_in(html))}
    assert names == expected


def test_the_review_queue_puts_unreviewed_then_least_confident_then_most_reported_first(client, editor, three_events):
    harir, erbil, baghdad = three_events
    set_review_status(events=[baghdad], status=Status.VERIFIED, user=editor)
    rejected = make_article()
    store_extraction(article=rejected, extraction=extraction(strike(day=date(2024, 2, 1))))
    set_review_status(events=[Event.objects.get(event_date=date(2024, 2, 1))], status=Status.REJECTED, user=editor)

    response = client.get("/admin/events/reviewqueueevent/")
    assert response.status_code == 200
    html = response.content.decode()
    assert ids_in(html) == [erbil.pk, harir.pk, baghdad.pk]  # rejected ones are done with
    assert f'href="/admin/events/event/{erbil.pk}/change/' in html


def test_the_review_queue_is_in_the_admin_index_for_editors(client, editor):
    html = client.get("/admin/").content.decode()
    assert "/admin/events/reviewqueueevent/" in html
    assert "/admin/auth/user/" not in html


def test_bulk_verify_and_reject(client, editor, three_events):
    harir, erbil, _ = three_events
    client.post("/admin/events/event/", {"action": "verify_events", "_selected_action": [harir.pk]})
    client.post("/admin/events/event/", {"action": "reject_events", "_selected_action": [erbil.pk]})
    harir.refresh_from_db()
    erbil.refresh_from_db()
    assert (harir.review_status, erbil.review_status) == (Status.VERIFIED, Status.REJECTED)
    assert harir.history.latest().history_user == editor


def test_merge_asks_which_event_survives_then_merges(client, editor, three_events):
    harir, erbil, _ = three_events
    selected = {"action": "merge_selected", "_selected_action": [harir.pk, erbil.pk]}

    confirm = client.post("/admin/events/event/", selected)
    html = confirm.content.decode()
    assert confirm.status_code == 200 and "Choose the event that survives" in html
    assert re.search(rf'name="survivor" value="{harir.pk}"[^>]*\s+checked', html)  # more sources: suggested
    assert Event.objects.filter(review_status=Status.MERGED).count() == 0

    done = client.post("/admin/events/event/", {**selected, "post": "yes", "survivor": harir.pk})
    assert done.status_code == 302
    erbil.refresh_from_db()
    assert (erbil.review_status, erbil.merged_into_id) == (Status.MERGED, harir.pk)
    assert harir.sources.count() == 3


def test_merge_needs_the_merge_permission(client, three_events):
    from django.contrib.auth.models import Permission

    user = make_editor("no-merge")
    user.user_permissions.set([])
    user.groups.clear()
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_event", "change_event"]))
    client.force_login(user)
    harir, erbil, _ = three_events
    client.post("/admin/events/event/", {"action": "merge_selected", "_selected_action": [harir.pk, erbil.pk],
                                         "post": "yes", "survivor": harir.pk})
    assert not Event.objects.filter(review_status=Status.MERGED).exists()


def test_alias_suggestions_are_accepted_in_one_click(client, editor):
    text = "A drone struck Hareer camp on Friday."
    ev = strike(at=ERBIL, location="Erbil", text=text, evidence=False)
    ev.evidence = [span(text, "Hareer camp", "location")]
    store_extraction(article=make_article(text=text), extraction=extraction(ev))
    place = make_place(name="Harir")
    update_event_by_editor(event=Event.objects.get(), changes={"point": Point(44.3625, 36.5365, srid=4326)},
                           user=editor)
    suggestion = AliasSuggestion.objects.get()

    html = client.get("/admin/events/aliassuggestion/").content.decode()
    assert f'name="_accept_suggestion" value="{suggestion.pk}"' in html
    assert '<span dir="auto">Hareer camp</span>' in html

    response = client.post("/admin/events/aliassuggestion/", {"_accept_suggestion": suggestion.pk})
    assert response.status_code == 302
    place.refresh_from_db()
    assert "Hareer camp" in place.names
    assert AliasSuggestion.objects.get().accepted is True


def test_place_admin_shows_arabic_names_right_to_left(client, editor):
    place = make_place(name="Harir", name_ar="حرير")
    html = client.get("/admin/events/place/").content.decode()
    assert '<span dir="rtl" lang="ar">حرير</span>' in html
    assert 'id="id_point-map"' in client.get(f"/admin/events/place/{place.pk}/change/").content.decode()


def test_editors_can_view_articles_but_not_delete_them(client, editor):
    from django.contrib import admin

    from ingest.models import Article

    if Article not in admin.site._registry:
        pytest.skip("the Article admin (ingest/admin.py) is not registered")
    article = make_article()
    assert client.get(f"/admin/ingest/article/{article.pk}/change/").status_code == 200
    assert client.get(f"/admin/ingest/article/{article.pk}/delete/").status_code == 403
    assert Article.objects.filter(pk=article.pk).exists()


def test_site_and_place_searches_look_into_aliases_and_names(client, editor):
    from .factories import make_site

    make_site(aliases=["Hareer camp"])
    make_place(name="Harir", names=["Harir", "حرير", "Hareer"])
    assert "Harir Air Base" in client.get("/admin/events/site/?q=hareer").content.decode()
    assert '<span dir="rtl" lang="ar">حرير</span>' in client.get("/admin/events/place/?q=حرير").content.decode()
    response = client.get("/admin/autocomplete/?app_label=events&model_name=event&field_name=site&term=harir")
    assert response.status_code == 200 and "Harir Air Base" in response.content.decode()


def test_an_administrator_can_enter_an_event_by_hand_and_its_fields_are_locked(client, db):
    from django.contrib.auth.models import User

    admin_user = User.objects.create_superuser("root", password=None)
    client.force_login(admin_user)
    data = {"review_status": "verified", "event_date": "2024-03-01", "time_precision": 1,
            "sub_event_type": "Armed clash", "point": Point(40.1, 35.3, srid=4326).geojson, "location": "Dhiban",
            "geo_precision": 1, "country": "SY", "fatalities": 3, "version": 1, "_save": "Save"}
    response = client.post("/admin/events/event/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    event = Event.objects.get()
    assert (event.event_type, event.review_status, event.fatalities) == ("Battles", "verified", 3)
    assert {"event_date", "sub_event_type", "point", "location", "country", "fatalities"} <= set(event.locked_fields)
