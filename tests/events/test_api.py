"""The public API: filters, errors, GeoJSON validity, truncation, CSV, timeline, sites, schema.

Tests marked ``smoke`` also run on SpatiaLite (embedded mode); the others need PostGIS.
The fuzz test sends random values for every parameter and asserts no 500.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timezone

import pytest
from django.contrib.gis.geos import Point
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from events import acled
from events.models import Event, EventSource, Site
from ingest.models import Article

pytestmark = [pytest.mark.django_db]

ERBIL = (44.0092, 36.1912)  # lon, lat
BAGHDAD = (44.3661, 33.3152)
DAMASCUS = (36.2913, 33.5138)
HOSTILE_TITLE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(autouse=True)
def _plain_http_and_no_throttle_history(settings):
    settings.SECURE_SSL_REDIRECT = False  # the test client speaks plain HTTP
    cache.clear()
    yield
    cache.clear()


_n = iter(range(1, 10**9))


def make_event(day: date, *, sub: str = "Air/drone strike", at: tuple[float, float] | None = ERBIL,
               country: str = "IQ", status: str = "unreviewed", sources: int = 1, **fields) -> Event:
    event = Event.objects.create(
        event_date=day,
        sub_event_type=sub,
        event_type=acled.event_type_for(sub),
        disorder_type=acled.disorder_type_for(sub),
        point=Point(*at, srid=4326) if at else None,
        country=country,
        location=fields.pop("location", "Erbil"),
        review_status=status,
        **fields,
    )
    for _ in range(sources):
        n = next(_n)
        article = Article.objects.create(
            outlet=f"Outlet {n}", title=f"Drones hit base {n}", url=f"https://news.test/a/{n}",
            canonical_url=f"https://news.test/a/{n}", content_hash=f"api-{n}", status=Article.Status.EXTRACTED,
            text="Drones attacked the base.", published=datetime(day.year, day.month, day.day, 8, tzinfo=timezone.utc),
        )
        EventSource.objects.create(event=event, article=article, quote=f"Drones attacked the base ({n}).")
    return event


def geojson(response) -> dict:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/geo+json")
    return json.loads(response.content)


def ids(collection: dict) -> set[int]:
    return {f["id"] for f in collection["features"]}


def assert_rfc7946_feature(feature: dict) -> None:
    assert feature["type"] == "Feature"
    assert isinstance(feature["id"], (int, str))
    assert isinstance(feature["properties"], dict)
    geometry = feature["geometry"]
    assert geometry["type"] == "Point"
    lon, lat = geometry["coordinates"]
    assert isinstance(lon, (int, float)) and isinstance(lat, (int, float))
    assert -180 <= lon <= 180 and -90 <= lat <= 90
    assert "crs" not in feature and "crs" not in geometry  # RFC 7946 removed crs: WGS 84 only


def assert_rfc7946_collection(collection: dict) -> None:
    assert collection["type"] == "FeatureCollection"
    assert isinstance(collection["features"], list)
    assert "crs" not in collection
    for feature in collection["features"]:
        assert_rfc7946_feature(feature)


# --- /api/events/ ------------------------------------------------------------------------

@pytest.mark.smoke
def test_events_are_an_rfc7946_feature_collection(client):
    event = make_event(date(2024, 3, 5), actor1="Islamic Resistance in Iraq", fatalities=2)
    data = geojson(client.get("/api/events/"))
    assert_rfc7946_collection(data)
    assert data["truncated"] is False and data["total"] == 1 and data["count"] == 1
    (feature,) = data["features"]
    assert feature["id"] == event.pk
    assert feature["geometry"]["coordinates"] == [pytest.approx(ERBIL[0]), pytest.approx(ERBIL[1])]  # lon, lat
    props = feature["properties"]
    assert props["event_date"] == "2024-03-05"
    assert props["sub_event_type"] == "Air/drone strike"
    assert props["actor1"] == "Islamic Resistance in Iraq"
    assert props["fatalities"] == 2 and props["country"] == "IQ"


def test_rejected_and_merged_events_are_never_shown(client):
    kept = make_event(date(2024, 3, 5))
    verified = make_event(date(2024, 3, 6), status="verified")
    make_event(date(2024, 3, 7), status="rejected")
    make_event(date(2024, 3, 8), status="merged")
    assert ids(geojson(client.get("/api/events/"))) == {kept.pk, verified.pk}
    assert ids(geojson(client.get("/api/events/?status=all"))) == {kept.pk, verified.pk}
    assert ids(geojson(client.get("/api/events/?status=verified"))) == {verified.pk}


def test_every_filter(client):
    site = Site.objects.create(slug="harir", name_en="Harir", point=Point(44.36, 36.53, srid=4326), operator="US")
    a = make_event(date(2024, 3, 1), actor1="Islamic Resistance in Iraq", confidence=0.9, site=site)
    b = make_event(date(2024, 3, 10), sub="Shelling/artillery/missile attack", at=BAGHDAD, actor2="US forces", confidence=0.4)
    c = make_event(date(2024, 4, 2), at=DAMASCUS, country="SY", actor1="Israel", confidence=0.7)
    get = lambda q: ids(geojson(client.get("/api/events/?" + q)))  # noqa: E731
    assert get("") == {a.pk, b.pk, c.pk}
    assert get("start=2024-03-02") == {b.pk, c.pk}
    assert get("end=2024-03-10") == {a.pk, b.pk}
    assert get("start=2024-03-10&end=2024-03-10") == {b.pk}
    assert get("sub_event_type=Air/drone+strike") == {a.pk, c.pk}
    assert get("sub_event_type=Air/drone+strike&sub_event_type=Shelling/artillery/missile+attack") == {a.pk, b.pk, c.pk}
    assert get("sub_event_type=Shelling/artillery/missile+attack,Air/drone+strike") == {a.pk, b.pk, c.pk}
    assert get("actor=resistance") == {a.pk}
    assert get("actor=US+FORCES") == {b.pk}  # actor 2 too, any case
    assert get("country=SY") == {c.pk}
    assert get("country=iq,sy") == {a.pk, b.pk, c.pk}
    assert get("min_confidence=0.7") == {a.pk, c.pk}
    assert get("site=harir") == {a.pk}
    assert get(f"site={site.pk}") == {a.pk}
    # bbox: west,south,east,north around Erbil (edges included), then around Iraq.
    assert get("bbox=43.5,35.5,44.5,36.5") == {a.pk}
    assert get(f"bbox={ERBIL[0]},{ERBIL[1]},45,37") == {a.pk}
    assert get("bbox=38.8,29.0,48.6,37.4") == {a.pk, b.pk}
    assert get("bbox=38.8,29.0,48.6,37.4&sub_event_type=Air/drone+strike&start=2024-01-01") == {a.pk}


@pytest.mark.smoke
def test_truncation_is_signalled_in_the_collection_and_headers(client, settings):
    for day in range(1, 6):
        make_event(date(2024, 3, day), sources=0)
    response = client.get("/api/events/?limit=3")
    data = geojson(response)
    assert data["count"] == 3 and len(data["features"]) == 3
    assert data["truncated"] is True and data["total"] == 5 and data["limit"] == 3
    assert response["X-Truncated"] == "true" and response["X-Total-Count"] == "5"
    # Most recent first: the latest three are kept.
    assert [f["properties"]["event_date"] for f in data["features"]] == ["2024-03-05", "2024-03-04", "2024-03-03"]
    # Exactly at the limit is not truncated.
    data = geojson(client.get("/api/events/?limit=5"))
    assert data["truncated"] is False and data["total"] == 5
    # The limit cannot exceed API_MAX_FEATURES, which applies by default.
    settings.API_MAX_FEATURES = 4
    response = client.get("/api/events/")
    assert geojson(response)["truncated"] is True and response["X-Total-Count"] == "5"
    assert client.get("/api/events/?limit=5").status_code == 400


@pytest.mark.smoke
@pytest.mark.parametrize("query, param, why", [
    ("start=2024-13-01", "start", "not a date"),
    ("start=yesterday", "start", "not a date"),
    ("end=2024-02-30", "end", "not a date"),
    ("start=2024-03-09&end=2024-03-01", "start", "after end"),
    ("sub_event_type=Tea+party", "sub_event_type", "not an ACLED sub-event type"),
    ("bbox=1,2,3", "bbox", "four numbers"),
    ("bbox=a,b,c,d", "bbox", "four numbers"),
    ("bbox=0,0,200,10", "bbox", "out of range"),
    ("bbox=0,-95,10,10", "bbox", "out of range"),
    ("bbox=10,0,0,10", "bbox", "west is greater than east"),
    ("bbox=0,10,10,0", "bbox", "south is greater than north"),
    ("bbox=nan,0,1,1", "bbox", "four numbers"),
    ("min_confidence=2", "min_confidence", "between 0 and 1"),
    ("min_confidence=high", "min_confidence", "not a number"),
    ("country=Iraq", "country", "alpha-2"),
    ("status=maybe", "status", "verified"),
    ("site=%3Cscript%3E", "site", "site id or slug"),
    ("actor=" + "x" * 201, "actor", "longer than 200"),
    ("limit=0", "limit", "between 1"),
    ("limit=ten", "limit", "whole number"),
    ("start=%00", "start", "NUL"),
])
def test_bad_parameters_answer_400_naming_the_parameter_and_why(client, query, param, why):
    response = client.get("/api/events/?" + query)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["param"] == param
    assert body["detail"].startswith(param + ":") and why in body["detail"]


def test_the_same_errors_on_every_filtered_endpoint(client):
    for path in ("/api/events/", "/api/timeline/", "/api/events.csv"):
        response = client.get(path + "?start=2024-03-09&end=2024-03-01")
        assert response.status_code == 400, path
        assert json.loads(response.content)["param"] == "start"
    response = client.get("/api/timeline/?interval=fortnight")
    assert response.status_code == 400 and response.json()["param"] == "interval"
    response = client.get("/api/sites/?kind=castle")
    assert response.status_code == 400 and response.json()["param"] == "kind"


@pytest.mark.smoke
def test_the_api_is_read_only(client, admin_client):
    event = make_event(date(2024, 3, 5))
    for c in (client, admin_client):
        for path in ("/api/events/", f"/api/events/{event.pk}/", "/api/timeline/", "/api/sites/", "/api/events.csv"):
            for method in ("post", "put", "patch", "delete"):
                response = getattr(c, method)(path, data="{}", content_type="application/json")
                assert response.status_code in (403, 405), (method, path, response.status_code)
    assert Event.objects.filter(pk=event.pk).exists()


def test_the_api_is_rate_limited_per_client(client):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import AnonRateThrottle

    rates = dict(api_settings.DEFAULT_THROTTLE_RATES)
    AnonRateThrottle.THROTTLE_RATES = {**rates, "anon": "3/minute"}
    try:
        codes = [client.get("/api/timeline/").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        response = client.get("/api/events/")
        assert response.status_code == 429 and int(response["Retry-After"]) > 0
        # Another client (another address) is not limited by the first one's requests.
        assert client.get("/api/timeline/", REMOTE_ADDR="127.0.0.9").status_code == 200
    finally:
        AnonRateThrottle.THROTTLE_RATES = rates


# --- /api/events/<id>/ --------------------------------------------------------------------

@pytest.mark.smoke
def test_one_event_with_its_sources_and_evidence(client):
    site = Site.objects.create(slug="harir", name_en="Harir", name_ar="حرير", operator="US-led coalition",
                               kind="base", point=Point(44.36, 36.53, srid=4326))
    event = make_event(date(2024, 3, 5), sources=2, actor1="IRI", target="Harir base", weapon="drone",
                       fatalities=2, injured=3, site=site, time_precision=2, geo_precision=1,
                       evidence={"weapon": [{"article": 1, "start": 0, "end": 6, "text": "Drones"}]})
    response = client.get(f"/api/events/{event.pk}/")
    assert response.status_code == 200
    data = json.loads(response.content)
    assert_rfc7946_feature(data)
    props = data["properties"]
    assert props["time_precision"] == 2 and props["geo_precision"] == 1
    assert props["weapon"] == "drone" and props["target"] == "Harir base"
    assert props["fatalities"] == 2 and props["injured"] == 3
    assert props["site"]["operator"] == "US-led coalition"
    assert props["evidence"]["weapon"][0]["text"] == "Drones"
    assert len(props["sources"]) == 2
    source = props["sources"][0]
    assert set(source) >= {"outlet", "title", "url", "published", "quote"}
    assert source["url"].startswith("https://news.test/") and source["quote"].startswith("Drones attacked")


def test_hostile_sources_are_returned_as_data_and_links_only_http(client):
    event = make_event(date(2024, 3, 5))
    article = event.sources.get().article
    article.title = HOSTILE_TITLE
    article.url = "javascript:alert(1)"
    article.save()
    data = client.get(f"/api/events/{event.pk}/").json()
    source = data["properties"]["sources"][0]
    assert source["title"] == HOSTILE_TITLE  # data, escaped by whoever displays it
    assert source["url"] == ""  # never a javascript: link


def test_rejected_is_404_merged_redirects_to_the_survivor(client):
    survivor = make_event(date(2024, 3, 5), status="verified")
    merged = make_event(date(2024, 3, 5), status="merged", merged_into=survivor)
    rejected = make_event(date(2024, 3, 5), status="rejected")
    assert client.get(f"/api/events/{rejected.pk}/").status_code == 404
    response = client.get(f"/api/events/{merged.pk}/")
    assert response.status_code == 301 and response["Location"].endswith(f"/api/events/{survivor.pk}/")
    assert client.get("/api/events/999999999/").status_code == 404
    assert client.get("/api/events/99999999999999999999999/").status_code == 404


# --- /api/timeline/ ------------------------------------------------------------------------

@pytest.mark.smoke
def test_timeline_counts_per_day_week_and_month(client):
    for day in (date(2024, 3, 4), date(2024, 3, 4), date(2024, 3, 6), date(2024, 3, 11), date(2024, 4, 1)):
        make_event(day, sources=0)
    make_event(date(2024, 3, 4), status="rejected", sources=0)
    data = client.get("/api/timeline/").json()
    assert data["interval"] == "day" and data["total"] == 5
    assert data["first"] == "2024-03-04" and data["last"] == "2024-04-01"
    assert data["buckets"] == [
        {"date": "2024-03-04", "count": 2}, {"date": "2024-03-06", "count": 1},
        {"date": "2024-03-11", "count": 1}, {"date": "2024-04-01", "count": 1},
    ]
    weeks = client.get("/api/timeline/?interval=week").json()["buckets"]
    assert weeks == [{"date": "2024-03-04", "count": 3}, {"date": "2024-03-11", "count": 1}, {"date": "2024-04-01", "count": 1}]
    months = client.get("/api/timeline/?interval=month").json()
    assert months["buckets"] == [{"date": "2024-03-01", "count": 4}, {"date": "2024-04-01", "count": 1}]
    assert months["first"] == "2024-03-04"
    assert client.get("/api/timeline/?start=2024-03-05&end=2024-03-31").json()["total"] == 2


def test_timeline_follows_the_same_filters(client):
    make_event(date(2024, 3, 4), at=DAMASCUS, country="SY")
    make_event(date(2024, 3, 4), sub="Armed clash")
    make_event(date(2024, 3, 5), status="verified")
    assert client.get("/api/timeline/?country=SY").json()["total"] == 1
    assert client.get("/api/timeline/?sub_event_type=Armed+clash").json()["total"] == 1
    assert client.get("/api/timeline/?status=verified").json()["buckets"] == [{"date": "2024-03-05", "count": 1}]
    assert client.get("/api/timeline/?bbox=35,33,37,34").json()["total"] == 1


# --- /api/sites/ -----------------------------------------------------------------------------

@pytest.mark.smoke
def test_sites_layer_with_operator(client):
    Site.objects.create(slug="harir", name_en="Harir Air Base", name_ar="قاعدة حرير", kind="airbase",
                        operator="US-led coalition", country="IQ", point=Point(44.36, 36.53, srid=4326))
    Site.objects.create(slug="tanf", name_en="Al-Tanf", kind="base", operator="US", country="SY",
                        point=Point(38.63, 33.50, srid=4326))
    Site.objects.create(slug="nowhere", name_en="No point")
    response = client.get("/api/sites/")
    assert response.status_code == 200
    data = json.loads(response.content)
    assert_rfc7946_collection(data)
    by_slug = {f["properties"]["slug"]: f for f in data["features"]}
    assert set(by_slug) == {"harir", "tanf"}
    assert by_slug["harir"]["properties"]["operator"] == "US-led coalition"
    assert by_slug["harir"]["properties"]["name_ar"] == "قاعدة حرير"
    assert {f["properties"]["slug"] for f in client.get("/api/sites/?country=SY").json()["features"]} == {"tanf"}
    assert {f["properties"]["slug"] for f in client.get("/api/sites/?bbox=44,36,45,37").json()["features"]} == {"harir"}


# --- /api/events.csv --------------------------------------------------------------------------

def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.smoke
def test_csv_has_acleds_columns_in_acleds_order(client):
    make_event(date(2024, 3, 5), actor1="Islamic Resistance in Iraq", inter1=3, actor2="US forces", inter2=8,
               fatalities=2, admin1="Erbil", notes="Two drones.", sources=2)
    make_event(date(2024, 3, 4), at=(-3.5, -2.25), country="SY", location="Somewhere")
    rows = read_csv(client.get("/api/events.csv"))
    assert tuple(rows[0]) == acled.CSV_COLUMNS
    assert rows[0][:3] == ["event_id_cnty", "event_date", "year"] and rows[0][-1] == "timestamp"
    record = dict(zip(rows[0], rows[1]))
    assert record["event_date"] == "2024-03-05" and record["year"] == "2024"
    assert record["event_type"] == "Explosions/Remote violence" and record["sub_event_type"] == "Air/drone strike"
    assert record["interaction"] == "38"
    assert record["country"] == "Iraq" and record["iso"] == "368" and record["region"] == "Middle East"
    assert record["latitude"] == "36.1912" and record["longitude"] == "44.0092"
    assert record["fatalities"] == "2"
    assert record["source"].count(";") == 1  # both outlets
    negative = dict(zip(rows[0], rows[2]))
    assert negative["longitude"] == "-3.5000" and negative["latitude"] == "-2.2500"  # numbers are not neutralised
    assert len(rows) == 3


@pytest.mark.smoke
@pytest.mark.parametrize("dangerous", ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_csv_neutralises_formula_injection(client, dangerous):
    make_event(date(2024, 3, 5), actor1=dangerous, notes=dangerous, location=dangerous, sources=0)
    rows = read_csv(client.get("/api/events.csv"))
    record = dict(zip(rows[0], rows[1]))
    for column in ("actor1", "notes", "location"):
        assert record[column] == "'" + dangerous, column


def test_csv_follows_the_filters_and_streams_many_rows(client):
    for i in range(2105):  # more than one chunk
        Event.objects.create(event_date=date(2023, 1, 1 + i % 28), sub_event_type="Attack", event_type="Violence against civilians",
                             disorder_type="Political violence", country="IQ", point=Point(44, 33, srid=4326))
    make_event(date(2024, 3, 5), country="SY", at=DAMASCUS)
    rows = read_csv(client.get("/api/events.csv?country=IQ"))
    assert len(rows) == 1 + 2105
    assert len({r[0] for r in rows[1:]}) == 2105  # no row twice across chunks
    rows = read_csv(client.get("/api/events.csv?country=SY"))
    assert len(rows) == 2 and rows[1][0].startswith("SY")


# --- OpenAPI ----------------------------------------------------------------------------------

@pytest.mark.smoke
def test_the_openapi_schema_is_served_and_lists_the_endpoints_and_parameters(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in ("/api/events/", "/api/events/{id}/", "/api/timeline/", "/api/sites/", "/api/events.csv"):
        assert path in paths, path
        assert set(paths[path]) <= {"get", "parameters"}, path  # read-only
    names = {p["name"] for p in paths["/api/events/"]["get"]["parameters"]}
    assert names >= {"bbox", "start", "end", "sub_event_type", "actor", "country", "status", "min_confidence", "site", "limit"}


@pytest.mark.smoke
def test_the_browsable_api_answers_a_browser(client):
    make_event(date(2024, 3, 5))
    response = client.get("/api/events/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert b"FeatureCollection" in response.content


# --- Fuzz: every parameter, no 500 ----------------------------------------------------------------

text = st.text(st.characters(codec="utf-8"), max_size=60)
number = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(str), st.integers(-10**30, 10**30).map(str))
date_like = st.one_of(st.dates().map(str), st.builds(lambda y, m, d: f"{y}-{m:02d}-{d:02d}", st.integers(0, 99999),
                                                   st.integers(0, 13), st.integers(0, 32)), text)
values = {
    "bbox": st.one_of(text, st.lists(number, min_size=0, max_size=5).map(",".join)),
    "start": date_like,
    "end": date_like,
    "sub_event_type": st.one_of(text, st.sampled_from(acled.SUB_EVENT_TYPES)),
    "actor": text,
    "country": st.one_of(text, st.sampled_from(["IQ", "sy", "XX", "IQ,SY", "I"])),
    "status": st.one_of(text, st.sampled_from(["verified", "all", ""])),
    "min_confidence": st.one_of(number, text),
    "site": st.one_of(text, st.integers(-10**25, 10**25).map(str)),
    "limit": st.one_of(number, text),
    "interval": st.one_of(text, st.sampled_from(["day", "week", "month"])),
    "kind": text,
    "format": st.one_of(text, st.sampled_from(["json", "api", "geojson", "csv"])),
}
query = st.dictionaries(st.sampled_from(sorted(values)), st.none(), max_size=6).flatmap(
    lambda keys: st.fixed_dictionaries({k: st.lists(values[k], min_size=1, max_size=2) for k in keys})
)
paths = st.one_of(
    st.sampled_from(["/api/events/", "/api/timeline/", "/api/sites/", "/api/events.csv"]),
    st.integers(-5, 10**22).map(lambda n: f"/api/events/{n}/"),
)


@pytest.mark.smoke
@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(path=paths, params=query)
def test_fuzz_every_parameter_never_500(client, path, params):
    cache.clear()  # the rate limit is not what is tested here
    response = client.get(path, params)
    assert response.status_code in (200, 301, 400, 404, 406), (path, params, response.status_code)
    if response.status_code == 400:
        content = b"".join(response.streaming_content) if response.streaming else response.content
        if "json" in response["Content-Type"] or response["Content-Type"].startswith("text/csv"):
            assert json.loads(content)["detail"]
        else:  # the browsable API (format=api) shows the error as a page
            assert b"detail" in content
    if response.streaming:
        b"".join(response.streaming_content)  # streaming errors would surface here


@pytest.fixture
def some_events(db):
    site = Site.objects.create(slug="harir", name_en="Harir", point=Point(44.36, 36.53, srid=4326))
    make_event(date(2024, 3, 5), site=site, actor1="A")
    make_event(date(2024, 3, 6), at=DAMASCUS, country="SY", status="verified", actor2="B")


def test_fuzz_with_data_never_500(client, some_events):
    test_fuzz_every_parameter_never_500(client=client)
