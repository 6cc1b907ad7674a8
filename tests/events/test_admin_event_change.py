"""The event change page, as an editor sees and uses it."""
from __future__ import annotations

import json
import re
from datetime import date

import pytest
from django.contrib.gis.geos import Point

from events.models import Event
from events.services import merge_events, store_extraction, update_event_by_editor

from .admin_helpers import form_data
from .factories import (
    ERBIL,
    extraction,
    make_article,
    make_editor,
    make_site,
    only_event,
    plain_http,  # noqa: F401 (fixture)
    span,
    strike,
)

pytestmark = [pytest.mark.django_db, pytest.mark.smoke, pytest.mark.usefixtures("plain_http")]

ARABIC = "استهدفت طائرة مسيرة قاعدة حرير شمال أربيل فجر اليوم الجمعة، ما أدى إلى مقتل جنديين."


@pytest.fixture
def editor(client):
    user = make_editor()
    client.force_login(user)
    return user


@pytest.fixture
def event():
    article = make_article()
    store_extraction(article=article, extraction=extraction(strike()))
    return only_event()


def url(event: Event) -> str:
    return f"/admin/events/event/{event.pk}/change/"


def test_the_change_page_shows_the_map_widget_the_evidence_and_the_article(client, editor, event):
    response = client.get(url(event))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_point-map"' in html and "leaflet/leaflet.js" in html
    assert "L.GeometryField" in html or "geodjango_id_point" in html
    # evidence quotes under the fields they support
    assert re.search(r'id="id_event_date_helptext".*?<q class="cm-quote" dir="auto">on Friday</q>', html, re.S)
    assert re.search(r'id="id_fatalities_helptext".*?killing two', html, re.S)
    # the article text with its supporting spans highlighted, and a link to the original
    assert '<mark class="cm-span" title="event_date" data-fields="event_date">on Friday</mark>' in html
    assert '<mark class="cm-span" title="location" data-fields="location">Harir base</mark>' in html
    assert 'href="https://news.example/' in html
    assert 'name="version"' in html and 'type="hidden"' in html


def test_the_leaflet_script_runs_under_the_content_security_policy(client, editor, event):
    response = client.get(url(event))
    nonce = re.search(r'<script nonce="([^"]+)"', response.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]


def test_arabic_articles_are_shown_right_to_left(client, editor):
    article = make_article(text=ARABIC, title="قصف قاعدة حرير", language="ar")
    ev = strike(text=ARABIC, evidence=False)
    ev.evidence = [span(ARABIC, "قاعدة حرير", "location"), span(ARABIC, "فجر اليوم الجمعة", "event_date")]
    store_extraction(article=article, extraction=extraction(ev))
    html = client.get(url(only_event())).content.decode()
    assert '<div class="cm-article-text" dir="rtl" lang="ar">' in html
    assert '<mark class="cm-span" title="location" data-fields="location">قاعدة حرير</mark>' in html
    assert '<q class="cm-quote" dir="auto">فجر اليوم الجمعة</q>' in html


def test_hostile_article_text_title_and_url_are_escaped(client, editor):
    text = 'Drones attacked Harir base <script>alert("x")</script> on Friday <img src=x onerror=alert(1)>'
    article = make_article(text=text, title='<script>alert("title")</script>', url="javascript:alert(1)",
                           canonical_url="javascript:alert(2)")
    ev = strike(text=text, evidence=False)
    ev.evidence = [span(text, 'Harir base <script>alert("x")</script>', "location"), span(text, "on Friday", "event_date")]
    store_extraction(article=article, extraction=extraction(ev))
    event = only_event()
    update_event_by_editor(event=event, changes={"notes": "<script>alert('notes')</script>"}, user=None)

    html = client.get(url(event)).content.decode()
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;" in html
    assert "javascript:alert" not in html
    changelist = client.get("/admin/events/event/").content.decode()
    assert "<script>alert" not in changelist


def test_saving_a_change_goes_through_the_services_and_locks_the_changed_fields(client, editor, event):
    response = client.post(url(event), form_data(event, fatalities=5, event_date="2024-01-18"))
    assert response.status_code == 302, response.content.decode()[:3000]
    event.refresh_from_db()
    assert (event.fatalities, event.event_date) == (5, date(2024, 1, 18))
    assert set(event.locked_fields) == {"fatalities", "event_date", "time_precision"}
    assert event.version == 2
    assert event.history.latest().history_user == editor


def test_saving_without_changes_locks_nothing(client, editor, event):
    response = client.post(url(event), form_data(event))
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.locked_fields == [] and event.version == 1


def test_dragging_the_marker_moves_the_point_and_locks_it(client, editor, event):
    moved = json.dumps({"type": "Point", "coordinates": [44.3700, 36.5400]})
    client.post(url(event), form_data(event, point=moved))
    event.refresh_from_db()
    assert event.point.equals_exact(Point(44.37, 36.54, srid=4326), tolerance=1e-9)
    assert {"point", "geo_precision"} <= set(event.locked_fields)


def test_a_second_editor_saving_an_old_version_gets_a_form_error_and_nothing_is_overwritten(client, editor, event):
    stale = form_data(event, fatalities=9)
    client.post(url(event), form_data(event, fatalities=5))  # the first editor saves

    response = client.post(url(event), stale)

    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    event.refresh_from_db()
    assert event.fatalities == 5


def test_verifying_from_the_form(client, editor, event):
    client.post(url(event), form_data(event, review_status="verified"))
    event.refresh_from_db()
    assert event.review_status == "verified" and event.locked_fields == []


def test_a_merged_event_shows_its_survivor_and_can_be_un_merged(client, editor):
    a, b = make_article(), make_article()
    store_extraction(article=a, extraction=extraction(strike()))
    store_extraction(article=b, extraction=extraction(strike(at=ERBIL, location="Erbil")))
    harir, erbil = Event.objects.get(location="Harir"), Event.objects.get(location="Erbil")
    merge_events(survivor=harir, others=[erbil], user=editor)

    html = client.get(url(erbil)).content.decode()
    assert f'href="/admin/events/event/{harir.pk}/change/"' in html and 'name="_unmerge"' in html

    client.post(url(erbil), {**form_data(erbil), "_unmerge": "1"})
    erbil.refresh_from_db()
    assert erbil.review_status == "unreviewed" and erbil.merged_into is None


def test_history_lists_the_changes_and_reverting_restores_a_version(client, editor, event):
    original = event.history.earliest()
    client.post(url(event), form_data(event, fatalities=5))
    assert client.get(f"/admin/events/event/{event.pk}/history/").status_code == 200

    revert_url = f"/admin/events/event/{event.pk}/history/{original.history_id}/"
    page = client.get(revert_url)
    assert page.status_code == 200 and "Revert" in page.content.decode()
    event.refresh_from_db()
    response = client.post(revert_url, form_data(event, fatalities=2, locked_fields=[]))
    assert response.status_code == 302, response.content.decode()[:2000]
    event.refresh_from_db()
    assert event.fatalities == 2 and "fatalities" in event.locked_fields


def test_the_revert_form_carries_the_current_version(client, editor, event):
    original = event.history.earliest()
    client.post(url(event), form_data(event, fatalities=5))
    page = client.get(f"/admin/events/event/{event.pk}/history/{original.history_id}/").content.decode()
    assert re.search(r'name="version" value="2"', page)


def test_the_site_can_be_chosen_and_the_sites_admin_has_a_map(client, editor, event):
    site = make_site()
    client.post(url(event), form_data(event, site=site.pk))
    event.refresh_from_db()
    assert event.site == site and "site" in event.locked_fields
    html = client.get(f"/admin/events/site/{site.pk}/change/").content.decode()
    assert 'id="id_point-map"' in html and 'dir="auto"' in html


def test_editors_cannot_add_or_delete_events(client, editor, event):
    assert client.get("/admin/events/event/add/").status_code == 403
    assert client.get(f"/admin/events/event/{event.pk}/delete/").status_code == 403
