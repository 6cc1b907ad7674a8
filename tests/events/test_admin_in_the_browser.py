"""An editor in a real browser: log in, open the review queue, drag the event's marker, save."""
from __future__ import annotations

import os

import pytest

from events.models import Event
from events.services import store_extraction

from .factories import extraction, make_article, make_editor, only_event, strike

# Playwright's sync API runs an event loop in this thread; the ORM calls here are still sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long browser-test password"


def reload_middleware(live_server) -> None:
    """The session's live server read SECURE_SSL_REDIRECT when it started: make it read it again."""
    handler = live_server.thread.httpd.get_app()
    getattr(handler, "application", handler).load_middleware()


@pytest.fixture
def logged_in(page, live_server, settings):
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    reload_middleware(live_server)
    make_editor(password=PASSWORD)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    yield page
    reload_middleware(live_server)


def script_errors(page) -> list[str]:
    """Script exceptions and Content-Security-Policy refusals (not tiles that cannot load offline)."""
    return [e for e in page.console_errors if "Failed to load resource" not in e]


def test_an_editor_drags_the_marker_on_the_map_and_the_point_is_saved_and_locked(logged_in, live_server):
    page = logged_in
    store_extraction(article=make_article(), extraction=extraction(strike()))
    event = only_event()

    page.goto(f"{live_server.url}/admin/events/reviewqueueevent/")
    page.click(f'a[href="/admin/events/event/{event.pk}/change/"]')
    marker = page.wait_for_selector(".leaflet-marker-icon", timeout=10000)
    assert script_errors(page) == []  # the map's script ran under the Content-Security-Policy

    page.click(".leaflet-draw-edit-edit")
    box = marker.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] - 4
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y - 40, steps=8)
    page.mouse.up()
    page.click(".leaflet-draw-actions a[title='Save changes']")
    page.click("input[name=_save]")
    page.wait_for_url(f"{live_server.url}/admin/events/event/")

    moved = Event.objects.get(pk=event.pk)
    assert moved.point.x > event.point.x and moved.point.y > event.point.y
    assert {"point", "geo_precision"} <= set(moved.locked_fields)
    assert moved.history.latest().history_user.username == "editor"
