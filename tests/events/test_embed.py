"""/embed/: the only page other sites may frame; its options, credit line and escaping."""
from __future__ import annotations

import json
import re
from datetime import date

import pytest
from django.contrib.gis.geos import Point
from django.core.cache import cache

from events import acled
from events.models import Event, EventSource
from ingest.models import Article

pytestmark = [pytest.mark.django_db]

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(autouse=True)
def _plain_http_clean_cache(settings):
    settings.SECURE_SSL_REDIRECT = False  # the test client speaks plain HTTP
    settings.SNAPSHOT_STAMP_TTL = 0  # every change to the data is seen at once
    cache.clear()  # throttle counters
    yield
    cache.clear()


def make_event(day: date, *, sub: str = "Air/drone strike", lat: float = 36.19, lon: float = 44.01,
               outlet: str = "Rudaw", title: str = "Drone attack near Erbil", status: str = "unreviewed",
               **fields) -> Event:
    event = Event.objects.create(
        event_date=day,
        sub_event_type=sub,
        event_type=acled.event_type_for(sub),
        disorder_type=acled.disorder_type_for(sub),
        point=Point(lon, lat, srid=4326),
        country=fields.pop("country", "IQ"),
        location=fields.pop("location", "Erbil"),
        review_status=status,
        **fields,
    )
    n = Article.objects.count() + 1
    article = Article.objects.create(
        outlet=outlet, title=title, url=f"https://news.test/{n}", canonical_url=f"https://news.test/{n}",
        content_hash=f"h{n}-{event.pk}", status=Article.Status.EXTRACTED, text="...",
    )
    EventSource.objects.create(event=event, article=article, quote="Drones attacked.")
    return event


def config_of(response) -> dict:
    match = re.search(rb'<script id="map-options" type="application/json">(.*?)</script>', response.content, re.S)
    assert match, "the embed carries its options in a json_script element"
    return json.loads(match.group(1))


# --- Framing ---------------------------------------------------------------------------

@pytest.mark.smoke
def test_the_embed_may_be_framed_by_any_site(client):
    response = client.get("/embed/")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in csp
    assert "'none'" not in re.search(r"frame-ancestors[^;]*", csp).group(0)
    assert "script-src 'self'" in csp  # the rest of the policy still holds


@pytest.mark.smoke
@pytest.mark.parametrize("path", ["/", "/healthz", "/snapshot.png?width=nope", "/admin/login/", "/no-such-page/"])
def test_every_other_page_refuses_to_be_framed(client, path):
    response = client.get(path)
    assert response.headers.get("X-Frame-Options") == "DENY", path
    assert "frame-ancestors 'none'" in response.headers.get("Content-Security-Policy", ""), path


def test_the_sites_that_may_frame_the_embed_are_a_setting(client, settings):
    settings.EMBED_FRAME_ANCESTORS = ["https://news.example.org", "https://*.example.net"]
    csp = client.get("/embed/").headers["Content-Security-Policy"]
    assert "frame-ancestors https://news.example.org https://*.example.net" in csp


# --- Options -----------------------------------------------------------------------------

@pytest.mark.smoke
def test_by_default_the_embed_is_interactive_with_a_slider_in_english(client):
    response = client.get("/embed/")
    config = config_of(response)
    assert config["embed"] is True and config["interactive"] is True and config["slider"] is True
    assert config["editing"] is False and config["share"] is False
    html = response.content.decode()
    assert '<html lang="en" dir="ltr">' in html
    assert 'id="timeline"' in html
    assert 'class="embed embed-interactive' in html


def test_static_hides_the_slider_and_stops_interaction(client):
    response = client.get("/embed/?static=1")
    config = config_of(response)
    assert config["interactive"] is False and config["static"] is True and config["slider"] is False
    assert 'id="timeline"' not in response.content.decode()
    # The slider can also be hidden on an interactive map.
    config = config_of(client.get("/embed/?slider=0"))
    assert config["interactive"] is True and config["slider"] is False


def test_arabic_is_right_to_left(client):
    make_event(date(2024, 3, 5))
    response = client.get("/embed/?lang=ar&start=2024-03-01&end=2024-03-07")
    html = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert config_of(response)["lang"] == "ar"
    assert response.headers["Content-Language"] == "ar"
    assert "مارس" in html  # the window is written out in Arabic (March)
    assert "lang=ar" in re.search(r'class="embed-full" href="([^"]+)"', html).group(1)


def test_height_sets_the_frame_height(client):
    assert 'style="height: 420px"' in client.get("/embed/?height=420").content.decode()


@pytest.mark.parametrize("query, param", [
    ("lang=fr", "lang"),
    ("height=20", "height"),
    ("height=abc", "height"),
    ("static=maybe", "static"),
    ("start=2024-02-30", "start"),
    ("start=2024-03-09&end=2024-03-01", "start"),
    ("sub_event_type=Tea+party", "sub_event_type"),
    ("bbox=1,2,3", "bbox"),
    ("bbox=0,0,200,10", "bbox"),
    ("min_confidence=2", "min_confidence"),
    ("country=Iraq", "country"),
    ("zoom=%3Cscript%3E", "zoom"),
    ("title=" + "x" * 300, "title"),
])
def test_bad_parameters_are_refused_with_a_message_naming_them(client, query, param):
    response = client.get("/embed/?" + query)
    assert response.status_code == 400
    assert response.content.decode().startswith(param + ":")


# --- What it shows --------------------------------------------------------------------------

def test_the_window_legend_credit_and_link_back(client):
    make_event(date(2024, 3, 2), outlet="Rudaw")
    make_event(date(2024, 3, 4), outlet="Al Mayadeen", sub="Shelling/artillery/missile attack")
    make_event(date(2024, 3, 6), outlet="Rudaw")
    make_event(date(2024, 5, 1), outlet="Outside the window")
    make_event(date(2024, 3, 3), outlet="Rejected outlet", status="rejected")
    response = client.get("/embed/?start=2024-03-01&end=2024-03-07&zoom=7&lat=36.1&lng=44.0&title=Strikes+this+week")
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 March 2024 – 7 March 2024" in html
    assert '<h1 class="embed-title">Strikes this week</h1>' in html
    credit = re.search(r'<span class="credit-text" id="embed-credit">(.*?)</span>', html).group(1)
    assert credit == ("conflictmap · data: 3 articles from outlets Rudaw, Al Mayadeen"
                      " · © OpenStreetMap contributors, GeoNames")
    legend = re.findall(r'<li data-type="([^"]+)"', html)
    assert legend == ["Air/drone strike", "Shelling/artillery/missile attack"]
    link = re.search(r'class="embed-full" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert link.startswith("http://testserver/?")
    for part in ("start=2024-03-01", "end=2024-03-07", "zoom=7", "lat=36.1", "lng=44.0"):
        assert part in link
    assert "static" not in link and "title" not in link
    config = config_of(response)
    assert "start=2024-03-01" in config["query"] and "zoom=7" in config["query"]


def test_titles_and_outlets_are_escaped(client):
    make_event(date(2024, 3, 2), outlet=HOSTILE, title=HOSTILE)
    response = client.get("/embed/", {"title": HOSTILE, "start": "2024-03-01", "end": "2024-03-07"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html  # title and credit line
    # In the options for the script, the title is JSON with <, > and & escaped.
    raw = re.search(r'<script id="map-options" type="application/json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in raw and "\\u003Cscript\\u003E" in raw
    assert config_of(response)["title"] == HOSTILE


# --- For the share dialog: the credit of a view, and its credited GeoJSON ---------------------

def test_the_credit_of_a_view_as_json(client):
    make_event(date(2024, 3, 2), outlet="Rudaw")
    make_event(date(2024, 3, 3), outlet="شفق نيوز")
    data = client.get("/embed/credit.json?start=2024-03-01&end=2024-03-07").json()
    assert data["articles"] == 2 and data["events"] == 2
    assert data["credit"].startswith("conflictmap · data: 2 articles from outlets ")
    assert "شفق نيوز" in data["credit"] and data["window"] == "1 March 2024 – 7 March 2024"
    assert client.get("/embed/credit.json?start=nope").status_code == 400


def test_the_geojson_export_of_a_view_is_credited(client):
    make_event(date(2024, 3, 2), outlet=HOSTILE)
    make_event(date(2024, 4, 2), outlet="Elsewhere")
    response = client.get("/embed/events.geojson?start=2024-03-01&end=2024-03-07&zoom=6")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    assert response["Content-Disposition"] == 'attachment; filename="conflictmap-events-2024-03-01_2024-03-07.geojson"'
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 1
    assert data["attribution"].startswith("conflictmap · data: 1 article from outlets ")
    assert data["attribution"].endswith("© OpenStreetMap contributors, GeoNames")
    assert HOSTILE in data["attribution"]  # JSON data, escaped by whoever displays it
    assert data["source"].startswith("http://testserver/?start=2024-03-01&end=2024-03-07")
    assert client.get("/embed/events.geojson?start=2024-99-01").status_code == 400
