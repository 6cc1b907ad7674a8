"""Geocoding on the Django side: the gazetteer from the Place and Site tables, the loaders,
and the optional online geocoder (against a local server that speaks Nominatim's API)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.core.management import call_command

from ingest import geocoding
from ingest.extraction.gazetteer import Gazetteer
from tests.harness import Response

ROOT = Path(__file__).resolve().parents[2]
GEONAMES = ROOT / "tests" / "fixtures" / "geonames"


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch):
    """Every test sees the tables as they are now."""
    monkeypatch.setattr(geocoding, "CHECK_INTERVAL", 0.0)
    geocoding.reset_gazetteer_cache()
    yield
    geocoding.reset_gazetteer_cache()


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


# --- the gazetteer from the database ------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.smoke
def test_without_places_the_bundled_gazetteer_is_used():
    assert geocoding.get_gazetteer() is Gazetteer.bundled()


@pytest.mark.django_db
@pytest.mark.smoke
def test_a_place_added_to_the_table_is_found_in_text():
    from events.models import Place

    Place.objects.create(source="user", source_id="1", name="Kafr Tajriba", name_ar="كفر التجربة",
                         names=["Kafr Tajriba", "كفر التجربة"], kind="village", country="SY",
                         admin1="Idlib", point=Point(36.5, 35.8, srid=4326))
    gaz = geocoding.get_gazetteer()
    assert gaz is not Gazetteer.bundled()
    (loc,) = gaz.locate("قصف مدفعي على بلدة كفر التجربة")
    assert (loc.entry.id, loc.lat, loc.lon) == ("user:1", 35.8, 36.5)
    # the bundled places are still there
    assert gaz.locate("قصف على حلب")[0].entry.name == "Aleppo"


@pytest.mark.django_db
@pytest.mark.smoke
def test_an_accepted_alias_is_matched_next_time():
    from events.models import AliasSuggestion, Site

    site = Site.objects.create(slug="tajriba-base", name_en="Tajriba base", name_ar="قاعدة التجربة",
                               kind=Site.Kind.BASE, country="SY", point=Point(40.3, 35.1, srid=4326))
    text = "استهدفت المسيرات نقطة أبو التجارب العسكرية"
    assert not any(loc.entry.slug == "tajriba-base" for loc in geocoding.get_gazetteer().locate(text))
    suggestion = AliasSuggestion.objects.create(name="نقطة أبو التجارب", site=site)
    geocoding.accept_alias(suggestion)
    (loc,) = geocoding.get_gazetteer().locate(text)
    assert loc.entry.slug == "tajriba-base" and loc.entry.is_site
    suggestion.refresh_from_db()
    assert suggestion.accepted is True


@pytest.mark.django_db
@pytest.mark.smoke
def test_the_database_gazetteer_is_rebuilt_when_a_site_is_edited():
    from events.models import Site

    site = Site.objects.create(slug="tajriba-base", name_en="Tajriba base", kind=Site.Kind.BASE,
                               country="SY", point=Point(40.3, 35.1, srid=4326))
    from events.models import Place

    Place.objects.create(source="user", source_id="1", name="Kafr Tajriba", kind="village", country="SY",
                         point=Point(36.5, 35.8, srid=4326))
    before = geocoding.get_gazetteer()
    assert geocoding.get_gazetteer() is before  # unchanged tables: the cached one
    site.aliases = ["Camp Tajriba"]
    site.save()
    after = geocoding.get_gazetteer()
    assert after is not before
    assert after.locate("Rockets hit Camp Tajriba")[0].entry.slug == "tajriba-base"


def test_an_unreachable_database_falls_back_to_the_bundled_gazetteer():
    """A separate process whose database is a closed port still geocodes."""
    code = (
        "import django; django.setup()\n"
        "from ingest.geocoding import get_gazetteer\n"
        "from ingest.extraction.gazetteer import Gazetteer\n"
        "g = get_gazetteer()\n"
        "print(g is Gazetteer.bundled(), g.locate('قصف على الموصل')[0].entry.name)\n"
    )
    env = {**os.environ, "DATABASE_URL": "postgis://postgres@127.0.0.1:9/none", "DB_CONNECT_TIMEOUT": "2",
           "SECRET_KEY": "x", "DJANGO_SETTINGS_MODULE": "conflictmap.settings", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-2:] == ["True", "Mosul"]


# --- load_gazetteer -------------------------------------------------------------------------

@pytest.mark.django_db
def test_load_gazetteer_loads_places_and_sites_once():
    from events.models import Place, Site

    first = run("load_gazetteer")
    places, sites = Place.objects.count(), Site.objects.count()
    assert places > 9000 and sites > 400
    assert "0 updated" in first
    tanf = Site.objects.get(slug="al-tanf-garrison")
    assert tanf.name_ar == "قاعدة التنف" and tanf.kind == "base"
    assert Site.objects.filter(point__distance_lte=(tanf.point, D(km=1)), slug="al-tanf-garrison").exists()
    second = run("load_gazetteer")
    assert (Place.objects.count(), Site.objects.count()) == (places, sites)
    assert "places: 0 created, 0 updated" in second and "sites: 0 created, 0 updated" in second


@pytest.mark.django_db
def test_the_loaded_gazetteer_resolves_like_the_bundled_one():
    run("load_gazetteer")
    gaz = geocoding.gazetteer_from_db()
    text = 'استهدفت المقاومة قاعدة "حرير" المجاورة لمطار أربيل، وقاعدة التنف في سوريا'
    assert [loc.entry.slug for loc in gaz.locate(text)] == ["harir-air-base", "erbil-airport", "al-tanf-garrison"]
    assert gaz.locate("على بعد 20 كم جنوب بعقوبة")[0].geo_precision == 2


# --- load_geonames ---------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.smoke
def test_load_geonames_adds_villages_with_their_arabic_names():
    from events.models import Place

    out = run("load_geonames", str(GEONAMES / "SY.txt"), str(GEONAMES / "alternateNamesV2.txt"), "--countries", "SY")
    assert "3 created" in out
    village = Place.objects.get(source="geonames", source_id="99900001")
    assert village.kind == "village" and village.country == "SY" and village.admin1 == "Deir ez-Zor"
    assert "خربة التجربة" in village.names and village.name_ar == "خربة التجربة"
    assert "khrbt altjrbh" not in village.names and "KHTJ" not in village.names  # junk dropped
    assert "التجربة القديمة" not in village.names  # historic name
    assert "Tajriba Ruins" not in village.names  # not Arabic
    assert Place.objects.get(source_id="99900002").kind == "airbase"
    assert Place.objects.get(source_id="99900004").kind == "district"
    assert not Place.objects.filter(source_id__in=["99900003", "99900005"]).exists()  # a wadi; Iraq filtered out
    near = Place.objects.filter(point__distance_lte=(village.point, D(km=10))).values_list("source_id", flat=True)
    assert set(near) >= {"99900001", "99900002", "99900004"}


@pytest.mark.django_db
@pytest.mark.smoke
def test_load_geonames_is_idempotent_and_reads_zip_files(tmp_path):
    from events.models import Place

    archive = tmp_path / "SY.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(GEONAMES / "SY.txt", "SY.txt")
        zf.writestr("readme.txt", "not data")
    run("load_geonames", str(archive), str(GEONAMES / "alternateNamesV2.txt"))
    count = Place.objects.count()
    assert count == 4  # the Iraqi village too: no --countries
    again = run("load_geonames", str(archive), str(GEONAMES / "alternateNamesV2.txt"))
    assert Place.objects.count() == count
    assert "0 created, 0 updated, 4 unchanged" in again


@pytest.mark.django_db
@pytest.mark.smoke
def test_villages_loaded_from_geonames_are_geocoded_without_code_changes():
    run("load_geonames", str(GEONAMES / "SY.txt"), str(GEONAMES / "alternateNamesV2.txt"))
    gaz = geocoding.get_gazetteer()
    loc = gaz.locate("قصفت المدفعية خربة التجربة بريف دير الزور")[0]
    assert loc.entry.id == "geonames:99900001" and (loc.lat, loc.lon) == (35.1, 40.3)
    assert loc.text == "خربة التجربة بريف دير الزور"
    assert gaz.locate("A drone struck Tajribah Air Base")[0].entry.kind == "airbase"


# --- the online geocoder ---------------------------------------------------------------------

def nominatim(places: dict[str, dict]):
    """A /search handler answering like Nominatim (format=json): a list of results."""

    def handler(request) -> Response:
        params = parse_qs(urlsplit(request.path).query)
        hit = places.get(params.get("q", [""])[0])
        codes = params.get("countrycodes", [""])[0]
        if hit and codes and hit["address"]["country_code"] not in codes.split(","):
            hit = None
        body = json.dumps([hit] if hit else []).encode()
        return Response(200, body, {"Content-Type": "application/json"})

    return handler


TAJRIBA = {
    "place_id": 1, "osm_type": "node", "osm_id": 42, "lat": "35.2", "lon": "40.4", "name": "Tajriba",
    "display_name": "Tajriba, Deir ez-Zor, Syria", "class": "place", "type": "village", "addresstype": "village",
    "place_rank": 19, "address": {"village": "Tajriba", "country_code": "sy"},
}
RAQQA_PROVINCE = {
    "place_id": 2, "osm_type": "relation", "osm_id": 7, "lat": "35.9", "lon": "39.0", "name": "Raqqa Governorate",
    "display_name": "Raqqa Governorate, Syria", "class": "boundary", "type": "administrative",
    "addresstype": "state", "place_rank": 8, "address": {"state": "Raqqa Governorate", "country_code": "sy"},
}


@pytest.fixture
def online(settings, fixture_server):
    fixture_server.route("/search", nominatim({"Tajriba": TAJRIBA, "Raqqa Governorate": RAQQA_PROVINCE}))
    settings.GEOCODER = "nominatim"
    settings.GEOCODER_URL = fixture_server.url("")
    settings.GEOCODER_USER_AGENT = "conflictmap-tests/1.0 (test suite)"
    return fixture_server


def searches(server) -> list[tuple[str, str, dict]]:
    return [r for r in server.requests if r[1].startswith("/search")]


@pytest.mark.django_db
@pytest.mark.smoke
def test_online_geocoder_finds_a_name_and_caches_it(online):
    from ingest.models import GeocodeCache

    loc = geocoding.geocode_online("Tajriba", "SY")
    assert (loc.lat, loc.lon, loc.country, loc.geo_precision) == (35.2, 40.4, "SY", 1)
    assert loc.name == "Tajriba"
    (request,) = searches(online)
    assert request[2]["User-Agent"] == "conflictmap-tests/1.0 (test suite)"
    assert "countrycodes=sy" in request[1] and "format=json" in request[1]
    assert GeocodeCache.objects.get(provider="nominatim").found
    again = geocoding.geocode_online("Tajriba", "SY")
    assert (again.lat, again.lon) == (35.2, 40.4)
    assert len(searches(online)) == 1  # answered from the cache


@pytest.mark.django_db
@pytest.mark.smoke
def test_online_geocoder_caches_misses_and_codes_regions_at_precision_3(online):
    assert geocoding.geocode_online("Nowhere at all") is None
    assert geocoding.geocode_online("Nowhere at all") is None
    assert geocoding.geocode_online("Raqqa Governorate").geo_precision == 3
    assert len(searches(online)) == 2


@pytest.mark.django_db
@pytest.mark.smoke
def test_online_geocoder_sends_at_most_one_request_a_second(online):
    geocoding.geocode_online("Tajriba")
    started = time.monotonic()
    geocoding.geocode_online("Raqqa Governorate")
    geocoding.geocode_online("Nowhere at all")
    assert time.monotonic() - started >= 1.9
    assert len(searches(online)) == 3


@pytest.mark.django_db
@pytest.mark.smoke
def test_online_geocoder_is_never_called_when_disabled(settings, fixture_server):
    fixture_server.route("/search", nominatim({"Tajriba": TAJRIBA}))
    settings.GEOCODER = ""
    settings.GEOCODER_URL = fixture_server.url("")
    assert geocoding.geocode_online("Tajriba") is None
    assert fixture_server.requests == []


@pytest.mark.django_db
@pytest.mark.smoke
def test_reloading_keeps_the_names_editors_added():
    from events.models import AliasSuggestion, Place

    run("load_geonames", str(GEONAMES / "SY.txt"))
    village = Place.objects.get(source="geonames", source_id="99900001")
    geocoding.accept_alias(AliasSuggestion.objects.create(name="Tajriba Farms", place=village))
    run("load_geonames", str(GEONAMES / "SY.txt"), str(GEONAMES / "alternateNamesV2.txt"))
    village.refresh_from_db()
    assert "Tajriba Farms" in village.names and "خربة التجربة" in village.names
    assert geocoding.get_gazetteer().locate("Shelling hit Tajriba Farms")[0].entry.id == "geonames:99900001"
