"""The Django side of geocoding: the gazetteer from the database, and the optional online geocoder.

``get_gazetteer()`` is what tasks call. It returns the gazetteer built from the Place and
Site tables (completed with the bundled entries they lack) when they have rows (``load_gazetteer`` / ``load_geonames``), so aliases
editors add and villages a user loads take effect; otherwise, and whenever the database
cannot be reached, the bundled one (``Gazetteer.bundled()``), so extraction never stops
for want of a database.

``geocode_online(name, country)`` asks a geopy geocoder (Nominatim by default) for a name
the gazetteer lacks. It runs only when ``settings.GEOCODER`` is set (never in the embedded
default), at most one request a second per process, with the configured User-Agent, and
every answer, found or not, is kept in GeocodeCache so a name is asked once.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Max

from ingest.extraction.gazetteer import Entry, Gazetteer, Location
from ingest.extraction.normalise import key

log = logging.getLogger(__name__)

# Place.source -> the Entry id prefix the bundled gazetteer uses for the same rows.
SOURCE_PREFIX = {"geonames": "geonames", "sites": "site", "regions": "region", "airports": "airport", "user": "user"}
PREFIX_SOURCE = {v: k for k, v in SOURCE_PREFIX.items()}
# How often (seconds) get_gazetteer looks whether the tables changed.
CHECK_INTERVAL = 10.0


# --- the gazetteer from the database ---------------------------------------------------

def place_entry(place) -> Entry:
    """An events.Place row as a gazetteer Entry."""
    prefix = SOURCE_PREFIX.get(place.source, place.source)
    names = tuple(dict.fromkeys(n for n in [place.name, place.name_ar, *(place.names or [])] if n))
    return Entry(
        id=f"{prefix}:{place.source_id}",
        name=place.name,
        name_ar=place.name_ar,
        names=names,
        lat=place.point.y,
        lon=place.point.x,
        kind=place.kind or "village",
        country=place.country,
        admin1=place.admin1,
        population=place.population,
        feature_code=place.feature_code,
    )


def site_entry(site) -> Entry:
    """An events.Site row as a gazetteer Entry (``is_site``, ``slug``)."""
    names = tuple(dict.fromkeys(n for n in [site.name_en, site.name_ar, *(site.aliases or [])] if n))
    icao = _icao(site.source)
    return Entry(
        id=f"airport:{icao}" if icao else f"site:{site.slug}",
        name=site.name_en,
        name_ar=site.name_ar,
        names=names,
        lat=site.point.y if site.point else None,
        lon=site.point.x if site.point else None,
        kind=site.kind,
        country=site.country,
        admin1=site.admin1,
        operator=site.operator,
        is_site=True,
        slug=site.slug,
        precision_km=site.precision_km,
    )


AIRPORT_SOURCE = "airportsdata record {icao} (PyPI airportsdata 20260905, MIT)"


def _icao(source: str) -> str:
    """The ICAO code of a Site loaded from airportsdata by load_gazetteer (see AIRPORT_SOURCE)."""
    if source and source.startswith("airportsdata record "):
        return source.split()[2]
    return ""


def db_entries() -> list[Entry]:
    """Every Site and Place row as an Entry (sites first: they win ties of the same id)."""
    from events.models import Place, Site

    entries: list[Entry] = [site_entry(s) for s in Site.objects.all().iterator(chunk_size=2000)]
    fields = ["source", "source_id", "name", "name_ar", "names", "kind", "feature_code", "country", "admin1", "population", "point"]
    entries += [place_entry(p) for p in Place.objects.only(*fields).iterator(chunk_size=5000)]
    return entries


def gazetteer_from_db(*, with_bundled: bool = False) -> Gazetteer:
    """A gazetteer of the Place and Site tables.

    ``with_bundled`` adds the bundled entries the tables lack (by id and by site slug), so a
    database holding only a user's ``load_geonames`` villages still knows the cities,
    governorates and bases of the bundled data.
    """
    entries = db_entries()
    if with_bundled:
        ids = {e.id for e in entries}
        slugs = {e.slug for e in entries if e.slug}
        entries += [e for e in Gazetteer.bundled().entries if e.id not in ids and not (e.slug and e.slug in slugs)]
    return Gazetteer(entries)


_lock = threading.Lock()
_cached: tuple[tuple, Gazetteer] | None = None
_checked_at = 0.0


def _tables_version() -> tuple:
    """Changes whenever Place or Site rows are added, removed or edited (history rows count edits)."""
    from events.models import Place, Site

    place = Place.objects.aggregate(n=Max("id"))
    site = Site.objects.aggregate(n=Max("id"))
    return (
        Place.objects.count(), place["n"], Place.history.aggregate(n=Max("history_id"))["n"],
        Site.objects.count(), site["n"], Site.history.aggregate(n=Max("history_id"))["n"],
    )


def get_gazetteer() -> Gazetteer:
    """The database gazetteer when the Place (or Site) table has rows, else the bundled one.

    The database one is completed with the bundled entries it lacks (``with_bundled``).
    Cached per process and rebuilt when the tables change (looked at every
    ``CHECK_INTERVAL`` seconds). Any database error falls back to the bundled gazetteer.
    """
    global _cached, _checked_at
    now = time.monotonic()
    cached = _cached
    if cached is not None and now - _checked_at < CHECK_INTERVAL:
        return cached[1]
    try:
        version = _tables_version()
    except DatabaseError as exc:  # unreachable, not migrated...
        log.warning("gazetteer: database unavailable (%s); using the bundled gazetteer", exc)
        return Gazetteer.bundled()
    _checked_at = now
    if version[0] == 0 and version[3] == 0:
        return Gazetteer.bundled()
    if cached is not None and cached[0] == version:
        return cached[1]
    with _lock:
        if _cached is not None and _cached[0] == version:
            return _cached[1]
        try:
            gazetteer = gazetteer_from_db(with_bundled=True)
        except DatabaseError as exc:
            log.warning("gazetteer: could not read the tables (%s); using the bundled gazetteer", exc)
            return Gazetteer.bundled()
        _cached = (version, gazetteer)
        return gazetteer


def reset_gazetteer_cache() -> None:
    """Forget the cached database gazetteer (the loaders call this after writing)."""
    global _cached, _checked_at
    with _lock:
        _cached = None
        _checked_at = 0.0


# --- writing Place and Site rows --------------------------------------------------------

def _point(lat: float, lon: float):
    from django.contrib.gis.geos import Point

    return Point(float(lon), float(lat), srid=4326)


def place_values(entry: Entry, source: str, source_id: str) -> dict:
    """The Place fields for an entry (``keys`` are the normalised names, for lookups in SQL)."""
    names = [n for n in entry.names if n]
    return {
        "source": source,
        "source_id": source_id,
        "name": entry.name[:200],
        "name_ar": entry.name_ar[:200],
        "names": names,
        "keys": sorted({key(n) for n in names} - {""}),
        "kind": entry.kind,
        "feature_code": entry.feature_code,
        "country": entry.country,
        "admin1": entry.admin1[:100],
        "population": entry.population,
    }


def site_values(entry: Entry, source: str = "") -> dict:
    return {
        "slug": entry.slug,
        "name_en": entry.name[:200],
        "name_ar": entry.name_ar[:200],
        "aliases": [n for n in entry.names if n not in (entry.name, entry.name_ar)],
        "kind": entry.kind,
        "operator": entry.operator[:200],
        "country": entry.country,
        "admin1": entry.admin1[:100],
        "precision_km": entry.precision_km,
        "source": source,
    }


def _assign_changed(row, values: dict) -> bool:
    """Set the fields whose value differs (points compared to 1e-7 degrees); True if any did.

    Loaders rewrite only the rows the data changed, so a reload writes nothing.
    """
    changed = False
    for f, new in values.items():
        old = getattr(row, f)
        if hasattr(old, "equals_exact") and new is not None:
            same = old.equals_exact(new, 1e-7)
        else:
            same = old == new
        if not same:
            setattr(row, f, new)
            changed = True
    return changed


def upsert_places(entries: Iterable[tuple[Entry, str, str]], *, batch_size: int = 2000) -> dict[str, int]:
    """Create or update Place rows keyed on (source, source_id); unchanged rows are not written.

    Names already on a row that the data lacks (aliases editors accepted) are kept.
    Returns counts: created, updated, unchanged. Bulk writes skip simple_history (a
    loader's rows are data, not edits).
    """
    from events.models import Place

    rows = {(source, sid): (entry, source, sid) for entry, source, sid in entries if entry.lat is not None}
    existing = {(p.source, p.source_id): p for p in Place.objects.filter(source__in={s for s, _ in rows})}
    create, update = [], []
    fields = ["name", "name_ar", "names", "keys", "kind", "feature_code", "country", "admin1", "population", "point"]
    for k, (entry, source, sid) in rows.items():
        values = place_values(entry, source, sid)
        point = _point(entry.lat, entry.lon)
        row = existing.get(k)
        if row is None:
            create.append(Place(point=point, **values))
            continue
        # keep names editors accepted: the data's names plus theirs
        extra = [n for n in (row.names or []) if n not in values["names"]]
        if extra:
            values["names"] = [*values["names"], *extra]
            values["keys"] = sorted({key(n) for n in values["names"]} - {""})
        if _assign_changed(row, {f: point if f == "point" else values[f] for f in fields}):
            update.append(row)
    with transaction.atomic():
        Place.objects.bulk_create(create, batch_size=batch_size)
        if update:
            Place.objects.bulk_update(update, fields, batch_size=batch_size)
    reset_gazetteer_cache()
    return {"created": len(create), "updated": len(update), "unchanged": len(rows) - len(create) - len(update)}


def upsert_sites(entries: Iterable[tuple[Entry, str]], *, batch_size: int = 500) -> dict[str, int]:
    """Create or update Site rows keyed on slug; fields an editor filled stay unless the data changed them."""
    from events.models import Site

    rows = {entry.slug: (entry, source) for entry, source in entries if entry.slug}
    existing = {s.slug: s for s in Site.objects.filter(slug__in=list(rows))}
    create, update = [], []
    fields = ["name_en", "name_ar", "aliases", "kind", "operator", "country", "admin1", "precision_km", "source", "point"]
    for slug, (entry, source) in rows.items():
        values = site_values(entry, source)
        point = _point(entry.lat, entry.lon) if entry.lat is not None else None
        row = existing.get(slug)
        if row is None:
            create.append(Site(point=point, **values))
            continue
        # keep aliases editors accepted: the data's aliases plus theirs
        values["aliases"] = list(dict.fromkeys([*values["aliases"], *(row.aliases or [])]))
        if _assign_changed(row, {f: point if f == "point" else values[f] for f in fields}):
            update.append(row)
    with transaction.atomic():
        Site.objects.bulk_create(create, batch_size=batch_size)
        if update:
            Site.objects.bulk_update(update, fields, batch_size=batch_size)
    reset_gazetteer_cache()
    return {"created": len(create), "updated": len(update), "unchanged": len(rows) - len(create) - len(update)}


def accept_alias(suggestion) -> None:
    """Add an AliasSuggestion's name to its place or site (the admin's one-click action)."""
    with transaction.atomic():
        target = suggestion.site or suggestion.place
        if target is None:
            return
        if suggestion.site is not None:
            if suggestion.name not in (target.aliases or []):
                target.aliases = [*(target.aliases or []), suggestion.name]
                target.save(update_fields=["aliases"])
        else:
            if suggestion.name not in (target.names or []):
                target.names = [*(target.names or []), suggestion.name]
                target.keys = sorted({*(target.keys or []), key(suggestion.name)} - {""})
                target.save(update_fields=["names", "keys"])
        suggestion.accepted = True
        suggestion.save(update_fields=["accepted"])
    reset_gazetteer_cache()


# --- the optional online geocoder ------------------------------------------------------

_rate_lock = threading.Lock()
_last_request = 0.0
MIN_INTERVAL = 1.0  # seconds between two requests: Nominatim's usage policy


def _geocoder():
    """The geopy geocoder configured by GEOCODER / GEOCODER_URL / GEOCODER_USER_AGENT."""
    from geopy.geocoders import get_geocoder_for_service

    service = settings.GEOCODER.strip().lower()
    cls = get_geocoder_for_service(service)
    kwargs = {"user_agent": settings.GEOCODER_USER_AGENT, "timeout": 10}
    if settings.GEOCODER_URL:
        parts = urlsplit(settings.GEOCODER_URL if "//" in settings.GEOCODER_URL else f"https://{settings.GEOCODER_URL}")
        kwargs["domain"] = parts.netloc + parts.path.rstrip("/")
        kwargs["scheme"] = parts.scheme or "https"
    return cls(**kwargs)


def _wait_turn() -> None:
    """At most one request a second from this process."""
    global _last_request
    with _rate_lock:
        wait = _last_request + MIN_INTERVAL - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        _last_request = time.monotonic()


def _precision(raw: dict) -> int:
    """ACLED geo_precision of a Nominatim result: 3 for countries, states and districts."""
    try:
        rank = int(raw.get("place_rank", 30))
    except (TypeError, ValueError):
        rank = 30
    if raw.get("addresstype") in ("country", "state", "province", "region", "county", "state_district") or rank <= 12:
        return 3
    return 1


def _location(name: str, lat: float, lon: float, raw: dict, provider: str, country: str | None) -> Location:
    cc = ((raw.get("address") or {}).get("country_code") or country or "").upper()[:2]
    ident = raw.get("osm_id") or raw.get("place_id") or name
    entry = Entry(
        id=f"online:{provider}:{raw.get('osm_type', '')}{ident}",
        name=(raw.get("name") or raw.get("display_name") or name).split(",")[0][:200],
        name_ar="",
        names=(name,),
        lat=lat,
        lon=lon,
        kind=raw.get("addresstype") or raw.get("type") or "place",
        country=cc,
    )
    return Location(
        entry=entry, lat=lat, lon=lon, geo_precision=_precision(raw), name=entry.name, country=cc,
        admin1="", start=0, end=len(name), text=name, head_start=0, head_end=len(name), relation="online",
    )


def geocode_online(name: str, country: str | None = None) -> Location | None:
    """Look ``name`` up with the configured online geocoder; None when disabled or not found."""
    from ingest.models import GeocodeCache

    if not settings.GEOCODER or not name.strip():
        return None
    provider = settings.GEOCODER.strip().lower()
    query = f"{name.strip()}|{(country or '').upper()}"[:500]
    cached = GeocodeCache.objects.filter(provider=provider, query=query).first()
    if cached is not None:
        if not cached.found:
            return None
        return _location(name, cached.latitude, cached.longitude, cached.raw, provider, country)
    from geopy.exc import GeopyError

    _wait_turn()
    kwargs = {"exactly_one": True}
    if provider == "nominatim":
        kwargs["addressdetails"] = True
        if country:
            kwargs["country_codes"] = country.lower()
    try:
        result = _geocoder().geocode(name, **kwargs)
    except GeopyError as exc:  # network trouble is not an answer: do not cache it
        log.warning("online geocoder failed for %r: %s", name, exc)
        return None
    raw = dict(result.raw) if result is not None else {}
    GeocodeCache.objects.update_or_create(
        provider=provider, query=query,
        defaults={
            "found": result is not None,
            "latitude": result.latitude if result else None,
            "longitude": result.longitude if result else None,
            "address": result.address if result else "",
            "raw": raw,
        },
    )
    if result is None:
        return None
    return _location(name, result.latitude, result.longitude, raw, provider, country)
