"""The map page in headless Chromium (Debian's), against the live server, tiles disabled.

The page loads without console errors, draws the events, follows the slider (mouse and
keyboard), opens popups with evidence and sources, reopens the same view from its URL,
is right-to-left in Arabic, shows hostile text as text, and sends no request anywhere
but 127.0.0.1.
"""
from __future__ import annotations

import os
from datetime import date, datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.gis.geos import Point

from events import acled
from events.models import Event, EventSource, Site
from ingest.models import Article

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop in this thread; the ORM calls are sync

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

HOSTILE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


def _reload_middleware(live_server) -> None:
    """The session's live server read SECURE_SSL_REDIRECT when it started: read the settings again."""
    handler = live_server.thread.httpd.get_app()
    getattr(handler, "application", handler).load_middleware()


@pytest.fixture
def live(settings, live_server):
    settings.SECURE_SSL_REDIRECT = False
    settings.TILE_URL = ""  # no tiles: nothing may leave 127.0.0.1
    _reload_middleware(live_server)
    yield live_server
    _reload_middleware(live_server)


_n = iter(range(1, 10**9))


def event(day: date, lon: float, lat: float, *, sub: str = "Air/drone strike", title: str = "Drones hit a base",
          url: str | None = None, quote: str = "Drones attacked the base at dawn.", **fields) -> Event:
    ev = Event.objects.create(
        event_date=day, sub_event_type=sub, event_type=acled.event_type_for(sub), disorder_type=acled.disorder_type_for(sub),
        point=Point(lon, lat, srid=4326), country=fields.pop("country", "IQ"), location=fields.pop("location", "Erbil"), **fields,
    )
    n = next(_n)
    article = Article.objects.create(
        outlet="Rudaw", title=title, url=url if url is not None else f"https://news.test/{n}", canonical_url=f"https://news.test/c/{n}",
        content_hash=f"browser-{n}", status=Article.Status.EXTRACTED, text=quote,
        published=datetime(day.year, day.month, day.day, 9, tzinfo=timezone.utc),
    )
    EventSource.objects.create(event=ev, article=article, quote=quote)
    return ev


@pytest.fixture
def events(db):
    """Three events in early March 2024, two in April, a site."""
    Site.objects.create(slug="harir", name_en="Harir Air Base", name_ar="قاعدة حرير", kind="airbase",
                        operator="US-led coalition", point=Point(44.36, 36.53, srid=4326))
    march = [
        event(date(2024, 3, 2), 44.01, 36.19, actor1="Islamic Resistance in Iraq", fatalities=2, weapon="drone",
              quote="Two drones struck the base near Erbil airport."),
        event(date(2024, 3, 4), 44.36, 33.31, sub="Shelling/artillery/missile attack", location="Baghdad"),
        event(date(2024, 3, 6), 42.44, 33.80, location="Ain al-Asad"),
    ]
    april = [
        event(date(2024, 4, 10), 40.14, 35.33, country="SY", location="Deir ez-Zor"),
        event(date(2024, 4, 12), 36.29, 33.51, country="SY", location="Damascus", sub="Armed clash"),
    ]
    return {"march": march, "april": april}


def open_map(page, url: str):
    page.goto(url)
    page.wait_for_selector("body[data-ready]", state="attached", timeout=30_000)
    assert page.get_attribute("body", "data-ready") == "1", page.console_errors
    return page


def shown_ids(page) -> set[int]:
    return set(page.evaluate("window.conflictmap.shown.map(f => f.id)"))


def listed_ids(page) -> set[int]:
    return {int(i) for i in page.eval_on_selector_all("#event-list .event-item", "els => els.map(e => e.dataset.id)")}


def wait_shown(page, ids: set[int]) -> None:
    page.wait_for_function("ids => { const s = window.conflictmap.shown.map(f => f.id).sort((a, b) => a - b); return JSON.stringify(s) === JSON.stringify(ids); }",
                           arg=sorted(ids), timeout=10_000)


def test_the_page_loads_without_errors_draws_markers_and_lists_them(page, live, events):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    open_map(page, f"{live.url}/?start=2024-03-01&end=2024-03-31")
    march = {e.pk for e in events["march"]}
    assert shown_ids(page) == march
    page.wait_for_function("() => document.querySelectorAll('#event-list .event-item').length === 3")
    assert listed_ids(page) == march
    assert "3 events" in page.inner_text("#event-count")
    # The markers are painted on the events' canvas: some pixel there is not transparent.
    painted = page.evaluate("""() => {
        const c = document.querySelector('.leaflet-events-pane canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
        return n;
    }""")
    assert painted > 20
    # The histogram, the sites layer, the legend and the country outlines are there.
    assert page.locator(".tl-hist").count() == 1 and page.locator(".site-icon").count() >= 1
    assert page.locator(".legend-list li[data-type]").count() == 2
    assert page.locator(".leaflet-outline-pane canvas").count() == 1
    assert page.console_errors == []
    # No request leaves 127.0.0.1 (tiles disabled; everything else vendored).
    assert requests and all(u.startswith(live.url + "/") for u in requests if not u.startswith("data:"))
    assert urlsplit(live.url).hostname in ("127.0.0.1", "localhost")  # the live server is on the loopback


def test_moving_the_slider_changes_what_is_shown(page, live, events):
    open_map(page, f"{live.url}/?start=2024-03-01&end=2024-03-07&tl=2024-02-20,2024-04-20")
    march = {e.pk for e in events["march"]}
    april = {e.pk for e in events["april"]}
    assert shown_ids(page) == march
    # Keyboard: the window's body moves by its own length with Page Up (a week at a time).
    body = page.locator(".tl-body")
    body.focus()
    for _ in range(6):
        page.keyboard.press("PageUp")
    # 1-7 March, six weeks later: 12-18 April.
    wait_shown(page, {e.pk for e in events["april"] if e.event_date >= date(2024, 4, 12)})
    page.wait_for_function("() => location.search.includes('start=2024-04-12&end=2024-04-18')")
    # Keyboard on a handle: the end of the window moves one day per arrow.
    page.locator(".tl-handle-start").focus()
    page.keyboard.press("Home")
    wait_shown(page, march | april)
    # Mouse: drag the end handle to the left, far: the window shrinks to its first days.
    handle = page.locator(".tl-handle-end").bounding_box()
    track = page.locator(".tl-track").bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(track["x"] + 5, handle["y"] + handle["height"] / 2, steps=8)
    page.mouse.up()
    page.wait_for_function("() => window.conflictmap.shown.length < 5")
    # The list follows the map and the slider.
    page.wait_for_function("() => document.querySelectorAll('#event-list .event-item').length === window.conflictmap.shown.length")
    assert page.console_errors == []


def test_a_popup_shows_the_evidence_and_every_source(page, live, events):
    first = events["march"][0]
    EventSource.objects.create(event=first, article=Article.objects.create(
        outlet="Al Mayadeen", title="طائرات مسيرة تستهدف قاعدة حرير", url="https://mayadeen.test/1",
        canonical_url="https://mayadeen.test/1", content_hash="second-source", status="extracted", text="..."),
        quote="استهدفت طائرتان مسيرتان القاعدة")
    open_map(page, f"{live.url}/?start=2024-03-01&end=2024-03-31")
    page.click(f'#event-list .event-item[data-id="{first.pk}"]')
    popup = page.wait_for_selector(f'.popup-event[data-id="{first.pk}"]')
    text = popup.inner_text()
    assert "Air/drone strike" in text
    assert "2 March 2024" in text and "exact day" in text
    assert "Islamic Resistance in Iraq" in text and "drone" in text and "2 killed" in text
    assert "Two drones struck the base near Erbil airport." in text  # the evidence quote
    assert "استهدفت طائرتان مسيرتان القاعدة" in text
    links = popup.query_selector_all(".popup-sources a")
    assert sorted(a.get_attribute("href") for a in links) == sorted(["https://mayadeen.test/1", first.sources.first().article.url])
    assert all(a.get_attribute("rel") == "noopener noreferrer nofollow" for a in links)
    assert "event=%d" % first.pk in page.url or page.wait_for_function(f"() => location.search.includes('event={first.pk}')")
    # Anonymous visitors get no "edit" link.
    assert popup.query_selector("a[href*='/admin/']") is None


def test_staff_get_an_edit_in_admin_link(page, live, events, admin_user):
    page.goto(f"{live.url}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live.url}/admin/")
    ev = events["march"][1]
    open_map(page, f"{live.url}/?start=2024-03-01&end=2024-03-31&event={ev.pk}")
    popup = page.wait_for_selector(f'.popup-event[data-id="{ev.pk}"]')
    assert popup.query_selector("a").get_attribute("href") is not None
    assert popup.query_selector(f"a[href='/admin/events/event/{ev.pk}/change/']") is not None


STATE_JS = """() => {
    const c = conflictmap.map.getCenter();
    return {c: {lat: c.lat, lng: c.lng}, z: conflictmap.map.getZoom(), shown: conflictmap.shown.map(f => f.id).sort((a, b) => a - b)};
}"""


def test_a_permalink_reopens_the_same_view(page, browser, live, events):
    open_map(page, f"{live.url}/?start=2024-03-01&end=2024-03-31")
    # Change the filters, the map and the selection.
    page.check('input[name="sub_event_type"][value="Air/drone strike"]')
    page.wait_for_function("() => window.conflictmap.shown.length === 2")
    page.evaluate("() => { window.conflictmap.map.setView([34.5, 43.2], 7, {animate: false}); }")
    selected = events["march"][2]
    page.click(f'#event-list .event-item[data-id="{selected.pk}"]')
    page.wait_for_selector(f'.popup-event[data-id="{selected.pk}"]')
    page.wait_for_function(f"() => location.search.includes('event={selected.pk}') && location.search.includes('sub_event_type=')")
    permalink = page.url
    query = parse_qs(urlsplit(permalink).query)
    assert query["start"] == ["2024-03-01"] and query["end"] == ["2024-03-31"]
    assert query["sub_event_type"] == ["Air/drone strike"]
    state = page.evaluate(STATE_JS)

    other = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    other.console_errors = []
    other.on("pageerror", lambda exc: other.console_errors.append(str(exc)))
    try:
        open_map(other, permalink)
        other.wait_for_selector(f'.popup-event[data-id="{selected.pk}"]')
        again = other.evaluate(STATE_JS)
        assert again["shown"] == state["shown"]
        assert again["z"] == state["z"]
        assert abs(again["c"]["lat"] - state["c"]["lat"]) < 0.01 and abs(again["c"]["lng"] - state["c"]["lng"]) < 0.01
        assert other.is_checked('input[name="sub_event_type"][value="Air/drone strike"]')
        assert other.locator(".tl-label").inner_text().startswith("1 March 2024 – 31 March 2024")
        assert other.console_errors == []
    finally:
        other.context.close()


def test_the_arabic_interface_is_right_to_left(page, live, events):
    open_map(page, f"{live.url}/?lang=ar&start=2024-03-01&end=2024-03-31")
    assert page.get_attribute("html", "dir") == "rtl" and page.get_attribute("html", "lang") == "ar"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert "نوع الحدث" in page.inner_text("#filters")
    assert "غارة جوية/بطائرة مسيّرة" in page.inner_text("#type-list")  # the script's strings too (jsi18n)
    # The filters panel is on the right, the list on the left.
    filters, listing = page.locator("#filters").bounding_box(), page.locator("#list-panel").bounding_box()
    assert filters["x"] > listing["x"]
    page.click(f'#event-list .event-item[data-id="{events["march"][0].pk}"]')
    popup = page.wait_for_selector(".popup-event")
    assert "الدليل" in popup.inner_text()  # "Evidence"
    # The browser's language is followed too, without ?lang=.
    context = page.context.browser.new_context(locale="ar", extra_http_headers={"Accept-Language": "ar"})
    try:
        other = context.new_page()
        other.goto(f"{live.url}/")
        assert other.get_attribute("html", "dir") == "rtl"
    finally:
        context.close()
    assert page.console_errors == []


def test_hostile_titles_and_links_are_shown_as_text_and_never_run(page, live, db):
    ev = event(date(2024, 3, 5), 44.0, 36.0, title=HOSTILE, url="javascript:window.__xss=3",
               actor1=HOSTILE, location='<b onmouseover="window.__xss=4">Erbil</b>', quote=HOSTILE)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_map(page, f"{live.url}/?start=2024-03-01&end=2024-03-31")
    item = page.locator(f'#event-list .event-item[data-id="{ev.pk}"]')
    assert '<b onmouseover="window.__xss=4">Erbil</b>' in item.inner_text()  # the list shows the text
    item.hover()
    item.click()
    popup = page.wait_for_selector(".popup-event")
    text = popup.inner_text()
    assert "<script>window.__xss=2</script>" in text  # the title and quote, as text
    assert popup.query_selector("script") is None and popup.query_selector("img") is None
    assert popup.query_selector("a[href^='javascript']") is None  # a javascript: URL is not a link
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    assert dialogs == [] and page.console_errors == []


def test_a_phone_sized_screen_gets_the_map_and_slider_with_panels_on_demand(browser, live, events):
    context = browser.new_context(viewport={"width": 390, "height": 780}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.console_errors = []
        page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
        open_map(page, f"{live.url}/?start=2024-03-01&end=2024-03-31")
        map_box = page.locator("#map").bounding_box()
        assert map_box["width"] >= 380 and map_box["height"] > 300
        assert page.locator("#timeline .tl-track").is_visible()
        assert not page.locator("#filters").is_visible()
        page.click("#toggle-filters")
        assert page.locator("#filters").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.console_errors == []
    finally:
        context.close()
