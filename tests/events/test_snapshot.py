"""/snapshot.png: rendered by a real Celery worker in headless Chromium, cached, bounded, rate-limited."""
from __future__ import annotations

import struct
import threading
import time
import zlib
from datetime import date
from urllib.error import HTTPError
from urllib.parse import quote
from urllib.request import urlopen

import pytest
from django.core.cache import cache
from django.core.signals import request_started

from events.snapshot import parse_snapshot
from tests.events.test_embed import make_event

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _plain_http_clean_cache(settings):
    settings.SECURE_SSL_REDIRECT = False  # the test client speaks plain HTTP
    settings.SNAPSHOT_STAMP_TTL = 0  # every change to the data is seen at once
    cache.clear()  # throttle counters
    yield
    cache.clear()


# --- A small PNG reader (8-bit RGB/RGBA, as Chromium writes them) ------------------------

def read_png(data: bytes) -> tuple[int, int, int, bytes]:
    """(width, height, channels, raw pixel bytes row after row) of a non-interlaced 8-bit PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat.append(chunk)
        elif kind == b"IEND":
            break
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and color in (2, 6) and interlace == 0, header
    channels = 3 if color == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    out = bytearray(height * stride)
    prev = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 0xFF
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = prev[i]
                c = prev[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        out[y * stride:(y + 1) * stride] = line
        prev = line
    return width, height, channels, bytes(out)


def colours(width: int, height: int, channels: int, pixels: bytes) -> set[bytes]:
    return {pixels[i:i + 3] for i in range(0, width * height * channels, channels * 7)}


# --- Parameters (no worker needed) --------------------------------------------------------

@pytest.mark.smoke
@pytest.mark.parametrize("query, param", [
    ("width=3001", "width"),
    ("width=2000&height=2000&scale=2", "scale"),
    ("height=99999999", "height"),
    ("width=abc", "width"),
    ("width=-5", "width"),
    ("scale=0.5", "scale"),
    ("scale=nan", "scale"),
    ("start=yesterday", "start"),
    ("start=2024-03-09&end=2024-03-01", "start"),
    ("sub_event_type=%3Cscript%3E", "sub_event_type"),
    ("lang=xx", "lang"),
    ("bbox=a,b,c,d", "bbox"),
    ("title=" + "t" * 201, "title"),
    ("center=javascript:alert(1)%3C", "center"),
])
def test_oversize_and_malformed_requests_are_refused(client, query, param):
    response = client.get("/snapshot.png?" + query)
    assert response.status_code == 400, response.content
    assert response.json()["param"] == param
    assert response.json()["detail"].startswith(param + ":")


def test_the_state_is_normalised_for_the_cache_key():
    from django.http import QueryDict

    from events.snapshot import cache_key

    a = parse_snapshot(QueryDict("sub_event_type=Grenade&sub_event_type=Air/drone+strike&zoom=6&start=2024-03-01&country=iq"))
    b = parse_snapshot(QueryDict("start=2024-03-01&zoom=6&country=IQ&sub_event_type=Air/drone+strike,Grenade&_=123"))
    c = parse_snapshot(QueryDict("start=2024-03-02&zoom=6&country=IQ&sub_event_type=Air/drone+strike,Grenade"))
    assert cache_key(*a, stamp="s") == cache_key(*b, stamp="s")
    assert cache_key(*a, stamp="s") != cache_key(*c, stamp="s")
    assert cache_key(*a, stamp="s") != cache_key(*a, stamp="data changed")
    state, size = a
    assert size.pixels == (1200, 800)
    assert state.options.interactive is False and state.options.slider is False


@pytest.mark.smoke
def test_the_snapshot_rate_limit_is_stricter_than_the_apis(client, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]

    def per_second(rate: str) -> float:
        num, period = rate.split("/")
        return int(num) / {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]

    assert per_second(rates["snapshot"]) < per_second(rates["anon"])
    assert per_second(rates["snapshot"]) < per_second(rates["user"])
    # And it is enforced: the requests past the limit get 429 with Retry-After, even bad ones.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**rates, "snapshot": "5/minute"}}
    codes = [client.get("/snapshot.png?width=bad").status_code for _ in range(7)]
    assert codes == [400] * 5 + [429] * 2
    response = client.get("/snapshot.png?width=bad")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    # Another client still gets through.
    assert client.get("/snapshot.png?width=bad", REMOTE_ADDR="10.9.8.7").status_code == 400


# --- Through a real worker ---------------------------------------------------------------------

class EmbedLoads:
    """Counts the /embed/ pages the live server serves: one per render."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    def __call__(self, sender, environ=None, **kwargs) -> None:
        if environ and environ.get("PATH_INFO") == "/embed/":
            with self.lock:
                self.count += 1


def reload_live_server_middleware(live_server) -> None:
    """The live server (one per session) read SECURE_SSL_REDIRECT when it started: read it again.

    Without this, a suite run with production-like settings (no DEBUG, PostGIS) would have
    the live server redirect every plain-HTTP request to https://.
    """
    handler = live_server.thread.httpd.get_app()
    getattr(handler, "application", handler).load_middleware()


@pytest.fixture
def plain_http_live_server(settings, live_server):
    settings.SECURE_SSL_REDIRECT = False
    settings.TILE_URL = ""
    reload_live_server_middleware(live_server)
    yield live_server
    reload_live_server_middleware(live_server)


@pytest.fixture
def snapshots(settings, tmp_path, plain_http_live_server):
    settings.SNAPSHOT_DIR = tmp_path / "snapshots"
    settings.SNAPSHOT_BASE_URL = plain_http_live_server.url
    settings.SNAPSHOT_TIMEOUT = 40.0
    loads = EmbedLoads()
    request_started.connect(loads)
    yield loads
    request_started.disconnect(loads)


def fetch(url: str, timeout: float = 90) -> tuple[int, dict, bytes]:
    try:
        with urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except HTTPError as err:
        return err.code, dict(err.headers), err.read()


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def seed_two_windows() -> None:
    # Early March: strikes around Erbil and Baghdad; late March: in eastern Syria.
    make_event(date(2024, 3, 2), lat=36.19, lon=44.01, outlet="Rudaw", title=HOSTILE, location=HOSTILE)
    make_event(date(2024, 3, 3), lat=36.30, lon=43.10, outlet=HOSTILE)
    make_event(date(2024, 3, 4), lat=33.31, lon=44.36, outlet="Al Mayadeen", sub="Shelling/artillery/missile attack")
    make_event(date(2024, 3, 25), lat=35.33, lon=40.14, outlet="SANA")
    make_event(date(2024, 3, 27), lat=34.45, lon=40.92, outlet="Enab Baladi")


@pytest.mark.worker
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(240)
def test_a_snapshot_is_a_png_of_the_view_rendered_once(celery_worker_process, snapshots, live_server):
    seed_two_windows()
    view = "&lat=34.8&lng=42.3&zoom=6&width=480&height=320"
    # Titles and outlets with markup in them are drawn as text: a script that ran would
    # open a dialog, which the renderer refuses (503).
    first = f"{live_server.url}/snapshot.png?start=2024-03-01&end=2024-03-07{view}&title={quote(HOSTILE)}"
    second = f"{live_server.url}/snapshot.png?start=2024-03-20&end=2024-03-31{view}"

    status, headers, png1 = fetch(first)
    assert status == 200, png1[:300]
    assert headers["Content-Type"] == "image/png" and headers["X-Snapshot-Cache"] == "miss"
    w, h, ch, pixels1 = read_png(png1)
    assert (w, h) == (480, 320)
    assert len(colours(w, h, ch, pixels1)) > 20  # not blank: map, markers, legend, text
    assert snapshots.count == 1

    status, headers, png2 = fetch(second)
    assert status == 200 and headers["X-Snapshot-Cache"] == "miss"
    w2, h2, ch2, pixels2 = read_png(png2)
    assert (w2, h2) == (480, 320)
    differing = sum(1 for i in range(0, len(pixels1), ch * 11) if pixels1[i:i + 3] != pixels2[i:i + 3])
    assert differing > 50  # another window: other markers, another date line
    assert snapshots.count == 2

    # The same view again: served from the cache, not rendered again.
    started = time.monotonic()
    status, headers, again = fetch(first)
    assert status == 200 and headers["X-Snapshot-Cache"] == "hit"
    assert again == png1
    assert time.monotonic() - started < 2
    assert snapshots.count == 2

    # A scale multiplies the pixels; a download is an attachment.
    status, headers, big = fetch(second + "&scale=2&download=1")
    assert status == 200 and read_png(big)[:2] == (960, 640)
    assert headers["Content-Disposition"].startswith("attachment;")

    # A change to the data is a new image for the same view.
    make_event(date(2024, 3, 3), lat=36.9, lon=43.0, outlet="Kurdistan24")
    status, headers, _ = fetch(first)
    assert status == 200 and headers["X-Snapshot-Cache"] == "miss"


@pytest.mark.worker
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_a_render_that_runs_out_of_time_answers_503_quickly(celery_worker_process, snapshots, live_server, settings):
    settings.SNAPSHOT_TIMEOUT = 0.5
    started = time.monotonic()
    status, headers, body = fetch(f"{live_server.url}/snapshot.png?width=400&height=300&start=2024-01-01")
    assert status == 503, body[:300]
    assert time.monotonic() - started < 15
    assert b"longer than 0.5 seconds" in body
    assert headers["Retry-After"]
    assert not list((settings.SNAPSHOT_DIR).glob("*/*.png"))


@pytest.mark.worker
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_a_render_that_fails_answers_503_with_a_message(celery_worker_process, snapshots, settings, fixture_server):
    # The worker's browser is sent to a server that answers 500: the render fails, cleanly.
    from tests.harness import Response

    fixture_server.route("/embed/", Response(500, b"boom", {"Content-Type": "text/plain"}))
    settings.SNAPSHOT_BASE_URL = fixture_server.url("")
    from django.test import Client

    response = Client().get("/snapshot.png?width=400&height=300")
    assert response.status_code == 503
    assert "answered 500" in response.content.decode()

    # A page where data ran as script (an alert) is refused rather than photographed.
    page = b"<!doctype html><body data-ready='1'><script>alert('injected')</script>map</body>"
    fixture_server.route("/embed/", Response(200, page, {"Content-Type": "text/html"}))
    response = Client().get("/snapshot.png?width=400&height=300&start=2024-01-02")
    assert response.status_code == 503
    assert "opened a dialog" in response.content.decode()
    assert not list(settings.SNAPSHOT_DIR.glob("*/*.png"))
