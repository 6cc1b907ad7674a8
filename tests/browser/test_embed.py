"""In headless Chromium: a page on another origin frames /embed/ (it loads and shows markers),
while the main page refuses to be framed; the share dialog's snippet works there too."""
from __future__ import annotations

import os
import re
from datetime import date
from html import escape
from urllib.parse import urlsplit

import pytest

from tests.events.test_embed import make_event
from tests.events.test_snapshot import reload_live_server_middleware
from tests.harness import Response

# Playwright's sync API keeps an event loop in this thread while the (session-wide) browser
# lives, which Django's ORM takes for an async context: the test process's own ORM calls
# are synchronous all the same.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


@pytest.fixture
def live(settings, live_server):
    """The live server, speaking plain HTTP, with tiles disabled (no request leaves 127.0.0.1)."""
    settings.SECURE_SSL_REDIRECT = False
    settings.TILE_URL = ""
    settings.SNAPSHOT_STAMP_TTL = 0
    reload_live_server_middleware(live_server)
    yield live_server
    reload_live_server_middleware(live_server)


def seed() -> int:
    make_event(date(2024, 3, 2), lat=36.19, lon=44.01, outlet="Rudaw")
    make_event(date(2024, 3, 4), lat=33.31, lon=44.36, outlet="Al Mayadeen", sub="Shelling/artillery/missile attack")
    make_event(date(2024, 3, 5), lat=33.80, lon=42.44, outlet='<script>alert("outlet")</script>')
    make_event(date(2024, 4, 20), lat=35.33, lon=40.14, outlet="Outside the window")
    return 3  # events in the window


def story_page(fixture_server, body: str) -> str:
    html = f"<!doctype html><html><head><meta charset=utf-8><link rel=icon href='data:,'><title>A news story</title></head><body><h1>Strikes this week</h1>{body}</body></html>"
    return fixture_server.route("/story.html", Response(200, html.encode(), {"Content-Type": "text/html; charset=utf-8"}))


def wait_ready(frame, timeout: float = 20_000) -> str:
    frame.wait_for_selector("body[data-ready]", state="attached", timeout=timeout)
    return frame.get_attribute("body", "data-ready")


def test_the_embed_loads_in_an_iframe_on_another_origin_and_the_main_page_refuses(page, fixture_server, live):
    expected = seed()
    embed_url = f"{live.url}/embed/?start=2024-03-01&end=2024-03-07&title=%3Cscript%3Ealert(1)%3C/script%3E"
    url = story_page(fixture_server, (
        f'<iframe id="embed" src="{escape(embed_url)}" width="800" height="500" title="Map" loading="lazy"></iframe>'
        f'<iframe id="main" src="{live.url}/" width="800" height="400" title="Main page"></iframe>'
    ))
    assert url.split("/")[2] != live.url.split("/")[2]  # another origin
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(url)

    embed = page.frame_locator("#embed")
    frame = page.query_selector("#embed").content_frame()
    assert wait_ready(frame) == "1"
    assert int(frame.get_attribute("body", "data-markers")) == expected
    assert embed.locator(".embed-window").inner_text() == "1 March 2024 – 7 March 2024"
    credit = embed.locator("#embed-credit").inner_text()
    assert credit.startswith("conflictmap · data: 3 articles from outlets ")
    assert '<script>alert("outlet")</script>' in credit  # shown as text, never run
    assert embed.locator(".embed-title").inner_text() == "<script>alert(1)</script>"
    assert embed.locator("#embed-legend li").count() == 2
    assert "start=2024-03-01" in embed.locator("a.embed-full").get_attribute("href")
    assert not [e for e in page.console_errors if "alert" in e]

    # The main page is not shown in the other site's frame.
    main = page.query_selector("#main").content_frame()
    page.wait_for_timeout(500)
    assert main.url != f"{live.url}/"
    assert "conflictmap" not in (main.evaluate("document.body ? document.body.innerText : ''") or "")
    assert any(re.search(r"X-Frame-Options|frame-ancestors", e) for e in page.console_errors), page.console_errors
    # With tiles disabled, nothing is asked of any other host.
    hosts = {urlsplit(u).hostname for u in requested if u.startswith("http")}
    assert hosts <= {"127.0.0.1", "localhost"}, hosts


def test_an_interactive_embed_and_an_arabic_static_one(page, fixture_server, live):
    seed()
    interactive = f"{live.url}/embed/?start=2024-03-01&end=2024-03-07"
    arabic = f"{live.url}/embed/?start=2024-03-01&end=2024-03-07&static=1&lang=ar"
    url = story_page(fixture_server, (
        f'<iframe id="a" src="{escape(interactive)}" width="700" height="450" title="Map"></iframe>'
        f'<iframe id="b" src="{escape(arabic)}" width="700" height="450" title="Map"></iframe>'
    ))
    page.goto(url)
    a = page.query_selector("#a").content_frame()
    b = page.query_selector("#b").content_frame()
    assert wait_ready(a) == "1" and wait_ready(b) == "1"
    assert a.query_selector(".leaflet-control-zoom") is not None  # interactive: zoom buttons
    assert b.query_selector(".leaflet-control-zoom") is None  # static: none
    assert b.evaluate("document.documentElement.dir") == "rtl"
    assert b.evaluate("getComputedStyle(document.querySelector('.embed-head')).direction") == "rtl"
    assert not page.console_errors, page.console_errors


def test_the_share_dialog_snippet_works_on_another_origin(page, fixture_server, live):
    expected = seed()
    page.goto(f"{live.url}/?start=2024-03-01&end=2024-03-07")
    if page.query_selector("#share-open") is None:
        pytest.fail("the main page does not include templates/events/_share_dialog.html")
    page.click("#share-open")
    page.fill("#share-embed-title", 'Strikes "this" week <b>')
    page.fill("#share-embed-width", "640")
    snippet = page.input_value("#share-iframe")
    assert snippet.startswith('<iframe src="http://') and 'loading="lazy"' in snippet
    assert 'width="640"' in snippet and 'height="500"' in snippet
    assert 'title="Strikes &quot;this&quot; week &lt;b&gt;"' in snippet
    png = page.input_value("#share-png-link")
    assert "/snapshot.png?" in png and "start=2024-03-01" in png and "width=1200" in png
    assert "start=2024-03-01" in page.get_attribute("#share-csv", "href")
    assert "end=2024-03-07" in page.get_attribute("#share-geojson", "href")
    page.wait_for_function("document.getElementById('share-credit-text').textContent.includes('articles')")

    page.goto(story_page(fixture_server, snippet.replace("<iframe ", '<iframe id="pasted" ', 1)))
    frame = page.query_selector("#pasted").content_frame()
    assert wait_ready(frame) == "1"
    assert int(frame.get_attribute("body", "data-markers")) == expected
    assert frame.inner_text(".embed-title") == 'Strikes "this" week <b>'


@pytest.mark.worker
def test_the_png_download_from_the_share_dialog(page, live, celery_worker_process, settings, tmp_path):
    from tests.events.test_snapshot import read_png

    settings.SNAPSHOT_DIR = tmp_path / "snapshots"
    settings.SNAPSHOT_BASE_URL = live.url
    seed()
    page.goto(f"{live.url}/?start=2024-03-01&end=2024-03-07")
    page.click("#share-open")
    page.fill("#share-png-title", "Strikes in early March")
    page.fill("#share-png-width", "480")
    page.fill("#share-png-height", "320")
    with page.expect_download(timeout=60_000) as download:
        page.click("#share-png-download")
    path = tmp_path / "download.png"
    download.value.save_as(path)
    assert download.value.suggested_filename == "conflictmap-2024-03-01-2024-03-07.png"
    width, height, _channels, _pixels = read_png(path.read_bytes())
    assert (width, height) == (480, 320)
