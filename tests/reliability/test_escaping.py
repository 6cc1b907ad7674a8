"""Hostile article text and titles are shown as text on every server-rendered page.

The articles come from anywhere (feeds, pasted text, files), so their titles, text, outlet
names and URLs may carry ``<script>``, event-handler attributes and ``javascript:`` links.
An article made of such pieces goes through the real extraction and storing, its event
and site get hostile values too, and every page that shows them (the admin's lists,
change, history and review pages, the public pages) is parsed as a browser would: no
script, event handler or ``javascript:``/``data:`` link may come from the payload, and the
payload must be *visible* as text (so the test is not passing on a page that hides it).

The map's popups and list are drawn in the browser from the JSON API: the map engineer's
browser tests check those render as text.
"""
from __future__ import annotations

from datetime import datetime, timezone

import lxml.html
import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db

MARK = "cmxss"
SCRIPT = f'<script>alert("{MARK}-script")</script>'
IMG = f'<img src=x onerror=alert("{MARK}-img")>'
LINK = f'<a href="javascript:alert(\'{MARK}-link\')">read more</a>'
SVG = f'<svg onload=alert("{MARK}-svg")></svg>'
BREAKOUT = f'"><script>alert("{MARK}-attr")</script>'
PAYLOADS = [SCRIPT, IMG, LINK, SVG, BREAKOUT]

TITLE = f"Drone strike {SCRIPT} in Bint Jbeil {BREAKOUT}"
TEXT = (f"An Israeli drone strike hit a car in the town of Bint Jbeil in southern Lebanon on Monday, killing two "
        f"people {SCRIPT}, the state news agency said. {IMG} {LINK} {SVG} {BREAKOUT}")
DANGEROUS_SCHEMES = ("javascript:", "data:", "vbscript:")
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "poster", "background")


def problems(html: bytes | str) -> list[str]:
    """What in ``html`` a browser would run because of the payload."""
    doc = lxml.html.fromstring(html)
    found = []
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag in ("script", "style") and MARK in (el.text or ""):
            found.append(f"<{el.tag}> with the payload")
        if el.tag in ("img", "svg", "iframe", "object", "embed") and any(MARK in v for v in el.attrib.values()):
            found.append(f"<{el.tag}> element from the payload: {dict(el.attrib)}")
        for name, value in el.attrib.items():
            if name.lower().startswith("on") and MARK in value:
                found.append(f"{name}= handler from the payload on <{el.tag}>")
            navigates = el.tag in ("a", "area", "iframe", "frame", "form", "button", "embed", "object", "base")
            if (navigates or MARK in value) and name.lower() in URL_ATTRIBUTES and \
                    value.strip().lower().startswith(DANGEROUS_SCHEMES):
                found.append(f"{name}={value[:60]!r} on <{el.tag}>")
    return found


def visible_text(html: bytes | str) -> str:
    """The page's text as a reader sees it (form fields' values included)."""
    doc = lxml.html.fromstring(html)
    values = [el.get("value", "") for el in doc.iter("input")] + [el.text or "" for el in doc.iter("textarea")]
    return doc.text_content() + " ".join(values)


@pytest.fixture
def hostile():
    """An article, its event (through the real extraction and storing), a site and an alias suggestion, all hostile."""
    from events.models import AliasSuggestion, Event, Site
    from ingest.models import Article
    from ingest.services import extract_article
    from ingest.text import content_hash

    article = Article.objects.create(
        title=TITLE, text=TEXT, content_hash=content_hash(TEXT), language="en", status=Article.Status.FETCHED,
        url=f"javascript:alert('{MARK}-url')", outlet=f"Outlet {IMG}", origin="paste",
        published=datetime(2025, 11, 4, 9, tzinfo=timezone.utc), metadata={"published_date": "2025-11-04",
                                                                               "note": SCRIPT},
        error=f"fetch: {SCRIPT}",
    )
    result = extract_article(article_id=article.pk)
    assert result.startswith("extracted"), result
    event = Event.objects.filter(sources__article=article).first()
    assert event is not None, "the extractor found no event in the hostile article"
    site = Site.objects.create(slug="hostile-site", name_en=f"Base {SCRIPT}", name_ar=f"قاعدة {IMG}",
                               operator=BREAKOUT, source=LINK)
    Event.objects.filter(pk=event.pk).update(
        actor1=f"Actor {SCRIPT}"[:200], actor2=f"Target {IMG}"[:200], notes=f"{LINK} {SVG}", target=BREAKOUT[:300],
        weapon=f"{IMG}"[:100], admin1=SCRIPT[:100], site=site,
    )
    suggestion = AliasSuggestion.objects.create(name=f"alias {SCRIPT}"[:200], site=site, event=event)
    return {"article": article, "event": event, "site": site, "suggestion": suggestion}


@pytest.fixture
def admin_client():
    admin = User.objects.create_superuser("boss", "boss@example.org", "a long passphrase 7")
    c = Client()
    c.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    return c


def check_page(client: Client, path: str, *, must_show: bool = True) -> None:
    response = client.get(path, secure=True)
    assert response.status_code == 200, (path, response.status_code)
    found = problems(response.content)
    assert not found, f"{path}: {found}"
    if must_show:
        assert MARK in visible_text(response.content), f"{path}: the hostile text is not shown at all"


def test_admin_article_pages_show_hostile_text_as_text(hostile, admin_client):
    a = hostile["article"]
    for path in ("/admin/ingest/article/", f"/admin/ingest/article/{a.pk}/change/",
                 f"/admin/ingest/article/?q={MARK}", f"/admin/ingest/article/{a.pk}/history/"):
        check_page(admin_client, path, must_show="history" not in path)


def test_admin_event_pages_show_hostile_text_as_text(hostile, admin_client):
    e = hostile["event"]
    for path in ("/admin/events/event/", f"/admin/events/event/{e.pk}/change/", f"/admin/events/event/{e.pk}/history/"):
        check_page(admin_client, path, must_show="history" not in path)
    # An old version of the event, as the history shows it.
    version = e.history.order_by("history_id").first()
    check_page(admin_client, f"/admin/events/event/{e.pk}/history/{version.history_id}/", must_show=False)


def test_the_review_queue_shows_hostile_text_as_text(hostile, admin_client):
    check_page(admin_client, "/admin/events/reviewqueueevent/")


def test_admin_site_and_alias_pages_show_hostile_text_as_text(hostile, admin_client):
    s = hostile["site"]
    for path in ("/admin/events/site/", f"/admin/events/site/{s.pk}/change/", "/admin/events/aliassuggestion/",
                 f"/admin/events/aliassuggestion/{hostile['suggestion'].pk}/change/"):
        check_page(admin_client, path)


def test_the_original_link_never_becomes_a_javascript_link(hostile, admin_client):
    for path in (f"/admin/ingest/article/{hostile['article'].pk}/change/",
                 f"/admin/events/event/{hostile['event'].pk}/change/"):
        doc = lxml.html.fromstring(admin_client.get(path, secure=True).content)
        hrefs = [a.get("href", "") for a in doc.iter("a")]
        assert not [h for h in hrefs if h.strip().lower().startswith(DANGEROUS_SCHEMES)], path


def test_public_pages_show_nothing_hostile(hostile):
    c = Client()
    for path in ("/", "/embed/", "/api/schema/"):
        response = c.get(path, secure=True)
        assert response.status_code == 200, path
        if "html" in response.get("Content-Type", ""):
            assert not problems(response.content), path


def test_the_json_api_returns_the_text_as_data_not_as_markup(hostile):
    """JSON needs no HTML escaping, but must be served as JSON (with nosniff) so no browser renders it as a page."""
    c = Client()
    for path in ("/api/events/", f"/api/events/{hostile['event'].pk}/", "/api/sites/"):
        response = c.get(path, secure=True)
        assert response.status_code == 200, path
        assert "json" in response["Content-Type"] and response["X-Content-Type-Options"] == "nosniff", path
