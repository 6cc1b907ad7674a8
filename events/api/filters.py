"""The public API's filters: read from the query string, checked, turned into a queryset.

Every endpoint (``/api/events/``, ``/api/timeline/``, ``/api/events.csv``) and the map page
read the same parameters with the same meaning:

``bbox``            west,south,east,north in degrees (WGS 84)
``start``, ``end``  YYYY-MM-DD, inclusive
``sub_event_type``  ACLED sub-event type; repeat it or separate with commas for several
``actor``           text found in actor 1 or actor 2 (case-insensitive)
``country``         ISO 3166-1 alpha-2 code(s), comma-separated or repeated
``status``          ``verified`` for verified events only; ``all`` (the default): every event
                    except the rejected ones and those merged into another
``min_confidence``  0..1
``site``            a site's id or slug

Anything that cannot be read raises :class:`ParameterError` naming the parameter and
why; the views answer it with 400. Nothing here can raise another exception for any
string a client sends (``tests/events/test_api.py`` fuzzes every parameter).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Mapping

from django.contrib.gis.geos import Polygon
from django.db import connection
from django.db.models import Q, QuerySet

from events import acled
from events.models import Event

MAX_TEXT = 200
STATUSES = ("", "all", "verified")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
NUMBER_RE = re.compile(r"[+-]?(\d{1,12}(\.\d{0,15})?|\.\d{1,15})")
SLUG_RE = re.compile(r"[A-Za-z0-9_-]{1,100}")
COUNTRY_RE = re.compile(r"[A-Z]{2}")
PUBLIC_EXCLUDED = (Event.ReviewStatus.REJECTED, Event.ReviewStatus.MERGED)
BIGINT_MAX = 2**63 - 1


class ParameterError(ValueError):
    """A query parameter that cannot be read: answered with 400 and this message."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"detail": str(self), "param": self.param}


@dataclass(frozen=True)
class Filters:
    start: date | None = None
    end: date | None = None
    sub_event_types: tuple[str, ...] = ()
    actor: str = ""
    countries: tuple[str, ...] = ()
    status: str = ""  # "" (every public event) or "verified"
    min_confidence: float | None = None
    site: str = ""
    bbox: tuple[float, float, float, float] | None = None


# --- Reading values ----------------------------------------------------------------------

def _values(params: Mapping, name: str) -> list[str]:
    if hasattr(params, "getlist"):
        values = params.getlist(name)
    else:
        value = params.get(name)
        values = value if isinstance(value, (list, tuple)) else ([] if value is None else [value])
    out = []
    for value in values:
        value = str(value)
        if "\x00" in value:
            raise ParameterError(name, "contains a NUL character.")
        out.append(value)
    return out


def single(params: Mapping, name: str) -> str:
    """The last value of ``name`` (as Django does), stripped; '' when absent."""
    values = _values(params, name)
    return values[-1].strip() if values else ""


def many(params: Mapping, name: str) -> list[str]:
    """Every value of ``name``, repeated or comma-separated, without duplicates."""
    out: list[str] = []
    for value in _values(params, name):
        for part in value.split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


def _short(raw: str) -> str:
    return repr(raw[:40] + ("…" if len(raw) > 40 else ""))


def parse_date(params: Mapping, name: str) -> date | None:
    raw = single(params, name)
    if not raw:
        return None
    if DATE_RE.fullmatch(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise ParameterError(name, f"{_short(raw)} is not a date (YYYY-MM-DD).")


def parse_number(params: Mapping, name: str, *, lo: float, hi: float, default: float | None = None) -> float | None:
    raw = single(params, name)
    if not raw:
        return default
    value = _to_float(raw)
    if value is None:
        raise ParameterError(name, f"{_short(raw)} is not a number.")
    if not lo <= value <= hi:
        raise ParameterError(name, f"must be between {lo:g} and {hi:g} (got {_short(raw)}).")
    return value


def parse_int(params: Mapping, name: str, *, lo: int, hi: int, default: int | None = None) -> int | None:
    raw = single(params, name)
    if not raw:
        return default
    if not re.fullmatch(r"\d{1,18}", raw):
        raise ParameterError(name, f"{_short(raw)} is not a whole number.")
    value = int(raw)
    if not lo <= value <= hi:
        raise ParameterError(name, f"must be between {lo} and {hi} (got {value}).")
    return value


def parse_text(params: Mapping, name: str, *, limit: int = MAX_TEXT) -> str:
    raw = " ".join(single(params, name).split())
    if len(raw) > limit:
        raise ParameterError(name, f"is longer than {limit} characters.")
    if any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in raw):
        raise ParameterError(name, "contains control characters.")
    return raw


def _to_float(raw: str) -> float | None:
    if not NUMBER_RE.fullmatch(raw):
        return None
    value = float(raw)
    return value if math.isfinite(value) else None


def parse_bbox(params: Mapping, name: str = "bbox") -> tuple[float, float, float, float] | None:
    raw = single(params, name)
    if not raw:
        return None
    parts = [p.strip() for p in raw.split(",")]
    values = [_to_float(p) for p in parts]
    if len(values) != 4 or any(v is None for v in values):
        raise ParameterError(name, "must be four numbers: west,south,east,north (degrees).")
    west, south, east, north = values  # type: ignore[misc]
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        raise ParameterError(name, "is out of range: longitudes (west, east) must be between -180 and 180.")
    if not (-90 <= south <= 90 and -90 <= north <= 90):
        raise ParameterError(name, "is out of range: latitudes (south, north) must be between -90 and 90.")
    if south > north:
        raise ParameterError(name, "south is greater than north.")
    if west > east:
        raise ParameterError(name, "west is greater than east (boxes across the antimeridian are not supported).")
    return (west, south, east, north)


# --- The filters ---------------------------------------------------------------------------

def parse_filters(params: Mapping) -> Filters:
    """Read the filters of any API endpoint (and of the map page's URL)."""
    start, end = parse_date(params, "start"), parse_date(params, "end")
    if start and end and start > end:
        raise ParameterError("start", f"{start.isoformat()} is after end {end.isoformat()}.")
    subs = many(params, "sub_event_type")
    for sub in subs:
        if sub not in acled.SUB_EVENT_TO_EVENT:
            raise ParameterError("sub_event_type", f"{_short(sub)} is not an ACLED sub-event type.")
    countries = [c.upper() for c in many(params, "country")]
    for code in countries:
        if not COUNTRY_RE.fullmatch(code):
            raise ParameterError("country", f"{_short(code)} is not an ISO 3166-1 alpha-2 code (e.g. IQ).")
    status = single(params, "status").lower()
    if status not in STATUSES:
        raise ParameterError("status", f"{_short(status)} is not 'verified' or 'all'.")
    site = single(params, "site")
    if site and not SLUG_RE.fullmatch(site):
        raise ParameterError("site", f"{_short(site)} is not a site id or slug.")
    if site.isdigit() and int(site) > BIGINT_MAX:
        raise ParameterError("site", "is not a site id.")
    return Filters(
        start=start,
        end=end,
        sub_event_types=tuple(sorted(subs)),
        actor=parse_text(params, "actor"),
        countries=tuple(sorted(countries)),
        status="verified" if status == "verified" else "",
        min_confidence=parse_number(params, "min_confidence", lo=0.0, hi=1.0),
        site=site,
        bbox=parse_bbox(params),
    )


def public_events() -> QuerySet[Event]:
    """Every event the public may see: all but the rejected and those merged into another."""
    return Event.objects.exclude(review_status__in=PUBLIC_EXCLUDED)


def filter_events(filters: Filters, queryset: QuerySet[Event] | None = None) -> QuerySet[Event]:
    qs = public_events() if queryset is None else queryset
    if filters.status == "verified":
        qs = qs.filter(review_status=Event.ReviewStatus.VERIFIED)
    if filters.start:
        qs = qs.filter(event_date__gte=filters.start)
    if filters.end:
        qs = qs.filter(event_date__lte=filters.end)
    if filters.sub_event_types:
        qs = qs.filter(sub_event_type__in=filters.sub_event_types)
    if filters.actor:
        qs = qs.filter(Q(actor1__icontains=filters.actor) | Q(actor2__icontains=filters.actor))
    if filters.countries:
        qs = qs.filter(country__in=filters.countries)
    if filters.min_confidence is not None:
        qs = qs.filter(confidence__gte=filters.min_confidence)
    if filters.site:
        qs = qs.filter(site_id=int(filters.site)) if filters.site.isdigit() else qs.filter(site__slug=filters.site)
    if filters.bbox:
        box = Polygon.from_bbox(filters.bbox)
        box.srid = 4326
        if connection.vendor == "postgresql":
            # ``&&`` alone is the index test, and for points it *is* "in the box, edges included".
            qs = qs.filter(point__bboverlaps=box)
        else:
            qs = qs.filter(point__intersects=box)
    return qs
