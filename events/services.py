"""Writes to events: storing what the extractor found, and the editors' corrections.

Two kinds of writers share the Event table, and the rules between them are these:

- The **machine** (``store_extraction``) keeps, for every article that reports an event, what
  it read there (``EventSource.extracted``). An event's values are computed from all its
  sources together (best date precision, best place precision, highest casualty counts...),
  so storing articles in any order gives the same events, and storing the same article
  again changes nothing.
- An **editor** (``update_event_by_editor`` and the other functions taking a ``user``) has the
  last word. A field an editor changes is *locked* (``Event.locked_fields``) and no machine
  writes it again. An event an editor has verified, rejected or merged keeps its values:
  the machine only adds sources and evidence to it. Rejected events stay rejected, merged
  events keep pointing to their survivor.

Every function here is keyword-only and runs in one transaction. Events written by an
editor get ``version`` raised so that a concurrent edit is detected (``EventChanged``);
machine writes raise it too, so an editor is told when re-extraction changed the event
under their feet.
"""
from __future__ import annotations

import calendar
import logging
import math
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Iterable

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, Point
from django.contrib.gis.measure import D
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from . import acled, selectors
from .models import AliasSuggestion, Event, EventSource, Place, Site

if TYPE_CHECKING:  # the extractor's dataclasses; duck-typed at run time
    from ingest.extraction.types import ExtractedEvent, ExtractedSite, Extraction
    from ingest.models import Article

log = logging.getLogger(__name__)

Status = Event.ReviewStatus

# The fields an editor can change, and that are locked once they have.
LOCKABLE_FIELDS: tuple[str, ...] = (
    "event_date", "time_precision", "disorder_type", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "civilian_targeting",
    "country", "admin1", "admin2", "location", "point", "geo_precision", "site",
    "fatalities", "injured", "weapon", "target", "notes", "confidence",
)
# Fields whose values only make sense together: changing one locks them all (the machine's
# time precision describes the machine's date, its geo precision the machine's point, and
# the event and disorder types follow from the sub-event type).
LOCK_GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"event_date", "time_precision"}),
    frozenset({"sub_event_type", "event_type", "disorder_type"}),
    frozenset({"point", "geo_precision"}),
)
# Editors change these without locking anything.
UNLOCKED_EDITOR_FIELDS = frozenset({"review_status", "locked_fields"})
EDITOR_STATUSES = (Status.UNREVIEWED, Status.VERIFIED, Status.REJECTED)

# Extractor evidence keys -> the Event field they support.
EVIDENCE_FIELD = {"latitude": "point", "longitude": "point", "site_slug": "site"}

# Advisory-lock namespace (PostgreSQL) for storing events: "cm".
_LOCK_NAMESPACE = 0x636D
_RETRYABLE_PGCODES = {"40P01", "40001", "23505"}  # deadlock, serialization failure, unique violation


class EventChanged(Exception):
    """The event was saved by someone else (or by re-extraction) since the editor loaded it."""

    def __init__(self, event: Event, expected_version: int) -> None:
        self.event = event
        self.expected_version = expected_version
        super().__init__(
            f"Event #{event.pk} was changed by someone else while you were editing it "
            f"(you had version {expected_version}, it is now at version {event.version}). "
            "Nothing was saved: reload the event and make your change again."
        )


class MergeError(ValueError):
    pass


# --- Small pure helpers --------------------------------------------------------------------


def _lock_set(fields: Iterable[str]) -> set[str]:
    """The fields to lock when ``fields`` change (their lock groups included)."""
    out = set()
    for name in fields:
        if name not in LOCKABLE_FIELDS:
            continue
        out.add(name)
        for group in LOCK_GROUPS:
            if name in group:
                out |= group
    return out


def _ordered_locks(fields: Iterable[str]) -> list[str]:
    wanted = set(fields)
    return [f for f in LOCKABLE_FIELDS if f in wanted]


def date_window(day: date, precision: int) -> tuple[date, date]:
    """The days an event dated ``day`` with ACLED ``time_precision`` may have happened on."""
    if precision == 2:
        half = int(getattr(settings, "FUSION_WEEK_HALF_DAYS", 3))
        return day - timedelta(days=half), day + timedelta(days=half)
    if precision >= 3:
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    return day, day


def _windows_meet(a: tuple[date, date], b: tuple[date, date]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, l1, p2, l2 = map(math.radians, (lat1, lon1, lat2, lon2))
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((l2 - l1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def _radius_km() -> float:
    return float(getattr(settings, "FUSION_RADIUS_KM", 5.0))


def _valid_coords(lat: Any, lon: Any) -> bool:
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return False
    return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180


def _name_key(name: str) -> str:
    """The gazetteer's matching key for a name (``ingest.extraction.normalise.key``)."""
    try:
        from ingest.extraction.normalise import key
    except Exception:  # pragma: no cover - only while the extraction package is broken
        import unicodedata

        text = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
        return " ".join(text.casefold().replace("-", " ").split())
    return key(name)


def _clip(value: Any, length: int) -> str:
    return ("" if value is None else str(value))[:length]


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, GEOSGeometry) or isinstance(new, GEOSGeometry):
        if old is None or new is None:
            return old is None and new is None
        return old.equals_exact(new, tolerance=1e-9)
    return old == new


def _set_history(obj: Any, user: Any, reason: str) -> None:
    obj._history_user = user
    obj._change_reason = reason[:100]


# --- What the extractor read, as stored on EventSource.extracted ----------------------------


def _fingerprint(ev: "ExtractedEvent", sites: dict[str, Site], version: str) -> dict | None:
    """One extracted event as plain JSON, cleaned to fit the Event model; None if unusable."""
    if ev.event_date is None or ev.sub_event_type not in acled.SUB_EVENT_TO_EVENT:
        return None
    fp = ev.to_json()
    fp["event_type"] = acled.event_type_for(ev.sub_event_type)
    fp["disorder_type"] = acled.disorder_type_for(ev.sub_event_type)
    fp["time_precision"] = min(3, max(1, int(ev.time_precision or 1)))
    fp["geo_precision"] = min(3, max(1, int(ev.geo_precision or 1)))
    try:
        fp["confidence"] = min(1.0, max(0.0, float(ev.confidence)))
    except (TypeError, ValueError):
        fp["confidence"] = 0.5
    if not math.isfinite(fp["confidence"]):
        fp["confidence"] = 0.5
    for key in ("fatalities", "injured"):
        value = fp.get(key)
        fp[key] = int(value) if isinstance(value, (int, float)) and value is not True and 0 <= value < 2**31 else None
    for key in ("inter1", "inter2"):
        fp[key] = fp.get(key) if fp.get(key) in acled.INTER_CODES else None
    site = sites.get(ev.site_slug) if ev.site_slug else None
    fp["site_slug"] = site.slug if site else ""
    if not _valid_coords(fp.get("latitude"), fp.get("longitude")):
        fp["latitude"] = fp["longitude"] = None
        if site is not None and site.point is not None:
            fp["latitude"], fp["longitude"] = site.point.y, site.point.x
    fp["extractor_version"] = version
    return fp


def _fp_date(fp: dict) -> date:
    return date.fromisoformat(fp["event_date"])


def _fp_window(fp: dict) -> tuple[date, date]:
    return date_window(_fp_date(fp), fp["time_precision"])


def _fp_same_place(a: dict, b: dict, radius: float) -> bool:
    if a.get("site_slug") and a.get("site_slug") == b.get("site_slug"):
        return True
    if a.get("latitude") is not None and b.get("latitude") is not None:
        return _km(a["latitude"], a["longitude"], b["latitude"], b["longitude"]) <= radius
    if a.get("latitude") is None and b.get("latitude") is None:
        loc_a, loc_b = _name_key(a.get("location") or ""), _name_key(b.get("location") or "")
        return bool(loc_a) and loc_a == loc_b and (a.get("country") or "") == (b.get("country") or "")
    return False


def _fp_compatible(a: dict, b: dict, radius: float) -> bool:
    return (
        a["sub_event_type"] == b.get("sub_event_type")
        and _windows_meet(_fp_window(a), _fp_window(b))
        and _fp_same_place(a, b, radius)
    )


def _first(fps: list[dict], key: str, test=bool) -> dict | None:
    for fp in fps:
        if test(fp.get(key)):
            return fp
    return None


def _known_actor(value: Any) -> bool:
    return bool(value) and not str(value).lower().startswith("unidentified")


def machine_values(fps: list[dict], sites: dict[str, Site]) -> dict[str, Any]:
    """An event's values as the machine reads them from all its sources' extractions.

    Pure (no queries): the date with the best time precision, the place with the best geo
    precision, the highest casualty counts, the highest confidence, and for the other
    fields the value from the most confident extraction that has one.
    """
    by_conf = sorted(fps, key=lambda f: (-f["confidence"], f.get("event_date") or "", f.get("quote_start") or 0))
    values: dict[str, Any] = {}
    top = by_conf[0]
    sub = top["sub_event_type"]
    values["sub_event_type"] = sub
    values["event_type"] = acled.event_type_for(sub)
    values["disorder_type"] = acled.disorder_type_for(sub)

    dated = sorted(by_conf, key=lambda f: f["time_precision"])[0]
    values["event_date"] = _fp_date(dated)
    values["time_precision"] = dated["time_precision"]

    placed = sorted(by_conf, key=lambda f: (f.get("latitude") is None, f["geo_precision"]))[0]
    values["location"] = _clip(placed.get("location"), 200)
    values["country"] = _clip(placed.get("country"), 2).upper()
    values["admin1"] = _clip(placed.get("admin1"), 100)
    values["geo_precision"] = placed["geo_precision"]
    if placed.get("latitude") is not None:
        values["point"] = Point(float(placed["longitude"]), float(placed["latitude"]), srid=4326)
    else:
        values["point"] = None
    site_fp = _first(by_conf, "site_slug", lambda s: bool(s) and s in sites)
    values["site"] = sites[site_fp["site_slug"]] if site_fp else None

    for n in ("1", "2"):
        fp = _first(by_conf, f"actor{n}", _known_actor) or _first(by_conf, f"actor{n}")
        values[f"actor{n}"] = _clip(fp.get(f"actor{n}"), 200) if fp else ""
        values[f"inter{n}"] = fp.get(f"inter{n}") if fp else None
        values[f"assoc_actor_{n}"] = _clip(fp.get(f"assoc_actor_{n}"), 300) if fp else ""
    values["civilian_targeting"] = "Civilian targeting" if any(f.get("civilian_targeting") for f in fps) else ""
    for key, length in (("weapon", 100), ("target", 300)):
        fp = _first(by_conf, key)
        values[key] = _clip(fp.get(key), length) if fp else ""
    fp = _first(by_conf, "notes")
    values["notes"] = str(fp["notes"]) if fp else ""
    for key in ("fatalities", "injured"):
        counts = [f[key] for f in fps if f.get(key) is not None]
        values[key] = max(counts) if counts else None
    values["confidence"] = top["confidence"]
    return values


def evidence_from(pairs: Iterable[tuple[int, dict]]) -> dict[str, list[dict]]:
    """``{field: [{article, start, end, text}]}`` from (article id, extraction) pairs, deduplicated."""
    out: dict[str, list[dict]] = {}
    seen: set[tuple] = set()
    for article_id, fp in pairs:
        for item in fp.get("evidence") or []:
            name = EVIDENCE_FIELD.get(item.get("field"), item.get("field"))
            if not name:
                continue
            entry = {"article": article_id, "start": item.get("start"), "end": item.get("end"), "text": item.get("text", "")}
            if item.get("in_title"):
                entry["in_title"] = True
            ident = (name, article_id, entry["start"], entry["end"], bool(entry.get("in_title")))
            if ident in seen:
                continue
            seen.add(ident)
            out.setdefault(name, []).append(entry)
    for items in out.values():
        items.sort(key=lambda e: (e["article"], bool(e.get("in_title")), e["start"] or 0, e["end"] or 0))
    return dict(sorted(out.items()))


# --- Storing an extraction -------------------------------------------------------------------


@dataclass
class StoreResult:
    """What ``store_extraction`` did (event ids)."""

    created: list[int] = field(default_factory=list)  # new events
    fused: list[int] = field(default_factory=list)  # existing events this article now also reports
    updated: list[int] = field(default_factory=list)  # existing events whose values changed
    unchanged: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)  # events only this article supported, no longer found
    kept: list[int] = field(default_factory=list)  # no longer found, but an editor touched them
    skipped: int = 0  # extracted events with no date or an unknown type
    sites: list[int] = field(default_factory=list)
    sites_created: list[int] = field(default_factory=list)

    @property
    def event_ids(self) -> list[int]:
        return sorted(set(self.created + self.fused + self.updated + self.unchanged))


def store_extraction(*, article: "Article", extraction: "Extraction", attempts: int = 3) -> StoreResult:
    """Turn an ``Extraction`` of ``article`` into events, sources and sites, fusing duplicates.

    Idempotent, and safe with several workers: the article row is locked, and so is, through
    PostgreSQL advisory locks, every (sub-event type, month) the extraction touches, so two
    articles reporting the same event are fused one after the other and never both create
    it. A deadlock or a unique-constraint race is retried from the start.
    """
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic():
                return _store(article=article, extraction=extraction)
        except (IntegrityError, OperationalError) as exc:
            code = getattr(exc.__cause__, "pgcode", None)
            retryable = code in _RETRYABLE_PGCODES or (connection.vendor == "sqlite" and "locked" in str(exc))
            if attempt == attempts or not retryable:
                raise
            log.warning("storing article %s failed (%s), retrying (%d/%d)", article.pk, exc, attempt, attempts)
    raise AssertionError("unreachable")


def _seen_day(article: "Article") -> date:
    moment = article.published or article.fetched_at or article.created_at or timezone.now()
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


def _advisory_lock(keys: Iterable[str]) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite has one writer at a time anyway
    ids = sorted({zlib.crc32(k.encode()) - 2**31 for k in keys})
    with connection.cursor() as cursor:
        for ident in ids:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, ident])


def _month_keys(sub: str, window: tuple[date, date]) -> list[str]:
    keys, day = [], window[0].replace(day=1)
    while day <= window[1]:
        keys.append(f"{sub}|{day:%Y-%m}")
        day = (day + timedelta(days=32)).replace(day=1)
    return keys


def _upsert_site(s: "ExtractedSite", seen: date, result: StoreResult) -> Site | None:
    slug = (s.slug or "").strip()[:100]
    if not slug:
        if not s.name:
            return None
        slug = slugify(f"{s.name} {s.country}")[:90] or "site-" + format(zlib.crc32(f"{s.name}|{s.country}".encode()), "08x")
    site = Site.objects.filter(slug=slug).first()
    if site is None:
        point = Point(float(s.longitude), float(s.latitude), srid=4326) if _valid_coords(s.latitude, s.longitude) else None
        kinds = {k for k, _ in Site.Kind.choices}
        site, created = Site.objects.get_or_create(
            slug=slug,
            defaults=dict(
                name_en=_clip(s.name or s.name_text or slug, 200),
                kind=s.kind if s.kind in kinds else Site.Kind.OTHER,
                operator=_clip(s.operator, 200),
                country=_clip(s.country, 2).upper(),
                point=point,
                source="Named in an article; not in the gazetteer (check its coordinates).",
                first_seen=seen,
                last_seen=seen,
            ),
        )
        if created:
            result.sites_created.append(site.pk)
            return site
    _upsert_site_seen(site, seen)
    return site


def _event_place_matches(event: Event, fp: dict, radius: float) -> tuple[bool, float]:
    if fp.get("site_slug") and event.site_id and event.site and event.site.slug == fp["site_slug"]:
        return True, 0.0
    if event.point is not None and fp.get("latitude") is not None:
        km = _km(event.point.y, event.point.x, fp["latitude"], fp["longitude"])
        return km <= radius, km
    if event.point is None and fp.get("latitude") is None:
        same = bool(fp.get("location")) and _name_key(event.location) == _name_key(fp["location"])
        return same and event.country == (fp.get("country") or "").upper()[:2], 0.0
    return False, math.inf


def _fusion_candidate(fp: dict, radius: float) -> Event | None:
    """The stored event ``fp`` reports, if any: same sub-event type, place and day."""
    lo, hi = _fp_window(fp)
    place = Q()
    if fp.get("site_slug"):
        place |= Q(site__slug=fp["site_slug"])
    if fp.get("latitude") is not None:
        point = Point(fp["longitude"], fp["latitude"], srid=4326)
        place |= Q(point__distance_lte=(point, D(km=radius)))
    elif fp.get("location"):
        place |= Q(point__isnull=True, location__iexact=fp["location"][:200], country=(fp.get("country") or "").upper()[:2])
    if not place:
        return None
    qs = Event.objects.filter(place, sub_event_type=fp["sub_event_type"]).filter(
        event_date__gte=lo - timedelta(days=31), event_date__lte=hi + timedelta(days=31)
    ).select_related("site")
    ranked = []
    fp_day = _fp_date(fp)
    for event in qs:
        if not _windows_meet(date_window(event.event_date, event.time_precision), (lo, hi)):
            continue
        # The database measured on the spheroid, this on a sphere: allow for the difference.
        ok, km = _event_place_matches(event, fp, radius * 1.01)
        if not ok:
            continue
        same_site = bool(fp.get("site_slug")) and event.site is not None and event.site.slug == fp["site_slug"]
        ranked.append((
            event.review_status == Status.MERGED,
            event.review_status == Status.REJECTED,
            not same_site,
            abs((event.event_date - fp_day).days),
            km,
            event.pk,
            event,
        ))
    if not ranked:
        return None
    ranked.sort(key=lambda r: r[:-1])
    best = ranked[0][-1]
    survivor = selectors.survivor_of(best)
    return Event.objects.select_for_update(of=("self",)).select_related("site").get(pk=survivor.pk)


def _match_previous(fp: dict, links: list[EventSource], radius: float) -> EventSource | None:
    """The event this article's previous extraction linked for the same report, if any."""
    best: tuple | None = None
    for link in links:
        for old in link.extracted or []:
            try:
                if not _fp_compatible(fp, old, radius):
                    continue
            except (KeyError, TypeError, ValueError):
                continue
            same_core = (old.get("event_date"), old.get("time_precision"), old.get("latitude"), old.get("longitude")) == (
                fp["event_date"], fp["time_precision"], fp.get("latitude"), fp.get("longitude"))
            # The very same reading first (storing again is then a no-op), then the same day and point.
            score = (0 if old == fp else 1 if same_core else 2, link.event_id)
            if best is None or score < best[0]:
                best = (score, link)
    return best[1] if best else None


def _touched(event: Event) -> bool:
    """Has an editor put work into this event (so the machine may not delete it)?"""
    return (
        event.review_status != Status.UNREVIEWED
        or bool(event.locked_fields)
        or Event.objects.filter(merged_into_id=event.pk).exists()
    )


def _sites_for(fps: Iterable[dict], cache: dict[str, Site]) -> dict[str, Site]:
    wanted = {fp.get("site_slug") for fp in fps if fp.get("site_slug")} - set(cache)
    if wanted:
        cache.update({s.slug: s for s in Site.objects.filter(slug__in=wanted)})
    return cache


def _link_payload(fps: list[dict]) -> dict:
    first = fps[0]
    start, end = first.get("quote_start"), first.get("quote_end")
    ok = isinstance(start, int) and isinstance(end, int) and 0 <= start <= end
    return {"quote": first.get("quote") or "", "start": start if ok else None, "end": end if ok else None, "extracted": fps}


def _upsert_link(event: Event, article_id: int, payload: dict, *, merged_from: Event | None) -> str:
    """Create or update the event's link to the article; returns created / updated / same / own."""
    link = EventSource.objects.filter(event=event, article_id=article_id).first()
    if link is None:
        EventSource.objects.create(event=event, article_id=article_id, merged_from=merged_from, **payload)
        return "created"
    if merged_from is not None and link.merged_from_id is None:
        return "own"  # the survivor has its own link to this article: it wins over a copy
    changed = [k for k, v in payload.items() if getattr(link, k) != v]
    wanted_from = merged_from.pk if merged_from is not None else None
    if link.merged_from_id != wanted_from:
        # A copy brought by a merge becomes the event's own link once the article is found
        # to report the event directly (and the other way round never happens: see above).
        link.merged_from_id = wanted_from
        changed.append("merged_from")
    if changed:
        for k in changed:
            if k != "merged_from":
                setattr(link, k, payload[k])
        link.save(update_fields=changed)
        return "updated"
    return "same"


def _refresh(event: Event, *, reason: str, user: Any = None, version: str | None = None,
             sites: dict[str, Site] | None = None) -> bool:
    """Recompute an event's evidence and machine values from its sources; save if anything changed.

    Locked fields are left alone, and so are all the fields of an event an editor has
    verified, rejected or merged (only its evidence follows its sources).
    """
    links = list(EventSource.objects.filter(event_id=event.pk).order_by("article_id", "id"))
    pairs = [(link.article_id, fp) for link in links for fp in (link.extracted or [])]
    changed: list[str] = []
    evidence = evidence_from(pairs)
    if event.evidence != evidence:
        event.evidence = evidence
        changed.append("evidence")
    if version and event.extractor_version != version[:32]:
        event.extractor_version = version[:32]
        changed.append("extractor_version")
    if pairs and event.review_status == Status.UNREVIEWED:
        fps = [fp for _, fp in pairs]
        sites = _sites_for(fps, sites if sites is not None else {})
        locked = set(event.locked_fields or [])
        for name, value in machine_values(fps, sites).items():
            if name in locked:
                continue
            current = event.site if name == "site" else getattr(event, name)
            if name == "site":
                if (current.pk if current else None) != (value.pk if value else None):
                    event.site = value
                    changed.append(name)
            elif not _same(current, value):
                setattr(event, name, value)
                changed.append(name)
    if not changed:
        return False
    event.version += 1
    _set_history(event, user, reason)
    event.save()
    return True


def _store(*, article: "Article", extraction: "Extraction") -> StoreResult:
    from ingest.models import Article

    result = StoreResult()
    article = Article.objects.select_for_update().get(pk=article.pk)
    version = (extraction.version or "")[:32]
    radius = _radius_km()
    seen = _seen_day(article)
    reason = f"extraction of article {article.pk} ({version})"

    sites: dict[str, Site] = {}
    for extracted_site in extraction.sites:
        site = _upsert_site(extracted_site, seen, result)
        if site is not None:
            sites[site.slug] = site
            if extracted_site.slug:
                sites[extracted_site.slug] = site
            result.sites.append(site.pk)
    _sites_for(({"site_slug": e.site_slug} for e in extraction.events), sites)
    for ev in extraction.events:  # an event at a site marks the site as seen too
        if ev.site_slug in sites and sites[ev.site_slug].pk not in result.sites:
            _upsert_site_seen(sites[ev.site_slug], seen)
            result.sites.append(sites[ev.site_slug].pk)

    fps: list[dict] = []
    for ev in extraction.events:
        fp = _fingerprint(ev, sites, version)
        if fp is None:
            result.skipped += 1
        else:
            fps.append(fp)

    previous = list(EventSource.objects.filter(article_id=article.pk, merged_from__isnull=True).select_related("event"))
    keys = [k for fp in fps for k in _month_keys(fp["sub_event_type"], _fp_window(fp))]
    keys += [k for link in previous for k in _month_keys(
        link.event.sub_event_type, date_window(link.event.event_date, link.event.time_precision))]
    _advisory_lock(keys)
    locked = {e.pk: e for e in Event.objects.select_for_update(of=("self",)).select_related("site").filter(
        pk__in=[link.event_id for link in previous]).order_by("pk")}
    previous = [link for link in previous if link.event_id in locked]
    for link in previous:
        link.event = locked[link.event_id]

    events: dict[int, Event] = {}
    assigned: dict[int, list[dict]] = {}
    for fp in fps:
        link = _match_previous(fp, previous, radius)
        event = link.event if link else _fusion_candidate(fp, radius)
        if event is None:
            event = _create_event(fp, article.pk, sites, reason)
            result.created.append(event.pk)
        events[event.pk] = event
        assigned.setdefault(event.pk, []).append(fp)

    to_refresh: dict[int, Event] = {}
    new_links: set[int] = set()
    for pk, fps_here in assigned.items():
        event = events[pk]
        payload = _link_payload(fps_here)
        if _upsert_link(event, article.pk, payload, merged_from=None) == "created" and pk not in result.created:
            new_links.add(pk)
        to_refresh[pk] = event
        # A merged event's sources live on in its survivor (and the survivor's survivor...).
        hop, hops = event, 0
        while hop.merged_into_id and hops < 50:
            nxt = Event.objects.select_for_update(of=("self",)).select_related("site").get(pk=hop.merged_into_id)
            if _upsert_link(nxt, article.pk, payload, merged_from=hop) == "own":
                break
            to_refresh[nxt.pk] = nxt
            hop, hops = nxt, hops + 1

    for link in previous:
        if link.event_id in assigned:
            continue
        event = link.event
        if _touched(event):
            result.kept.append(event.pk)
            continue
        link.delete()
        if EventSource.objects.filter(event_id=event.pk).exists():
            to_refresh[event.pk] = event
        else:
            _set_history(event, None, reason)
            result.removed.append(event.pk)
            event.delete()
            to_refresh.pop(event.pk, None)

    for pk, event in sorted(to_refresh.items()):
        changed = _refresh(event, reason=reason, version=version if pk in assigned else None, sites=sites)
        if pk in result.created:
            continue
        if pk in new_links:
            result.fused.append(pk)
        elif changed:
            result.updated.append(pk)
        else:
            result.unchanged.append(pk)

    return result  # the article's own status and extractor version are the caller's (ingest.services)


def _upsert_site_seen(site: Site, seen: date) -> None:
    """Widen the site's first/last seen to ``seen`` (a plain UPDATE: bookkeeping, not history)."""
    if site.first_seen is None or site.first_seen > seen or site.last_seen is None or site.last_seen < seen:
        Site.objects.filter(pk=site.pk).update(
            first_seen=min(seen, site.first_seen or seen), last_seen=max(seen, site.last_seen or seen)
        )


def _create_event(fp: dict, article_id: int, sites: dict[str, Site], reason: str) -> Event:
    values = machine_values([fp], _sites_for([fp], sites))
    event = Event(
        **values,
        evidence=evidence_from([(article_id, fp)]),
        extractor_version=fp.get("extractor_version", "")[:32],
        review_status=Status.UNREVIEWED,
    )
    _set_history(event, None, reason)
    event.save()
    return event


# --- Editors ---------------------------------------------------------------------------------


def _clean_value(event: Event, name: str, value: Any) -> Any:
    model_field = Event._meta.get_field(name)
    if name == "site":
        pk = value.pk if isinstance(value, Site) else value
        if pk in (None, ""):
            return None
        return Site.objects.get(pk=pk)
    if name == "point":
        if value in (None, ""):
            return None
        point = value if isinstance(value, GEOSGeometry) else GEOSGeometry(str(value))
        if point.srid is None:
            point.srid = 4326
        elif point.srid != 4326:
            point = point.transform(4326, clone=True)
        if point.geom_type != "Point" or not _valid_coords(point.y, point.x):
            raise ValidationError({"point": "The point must be a longitude/latitude inside the world."})
        return point
    if value == "" and model_field.null:
        value = None
    try:
        return model_field.clean(value, event)
    except ValidationError as exc:
        raise ValidationError({name: exc.messages}) from exc


def update_event_by_editor(*, event: Event, changes: dict[str, Any], user: Any,
                           expected_version: int | None = None) -> Event:
    """Apply an editor's changes to ``event``, lock the changed fields, and return the saved event.

    ``changes`` maps Event field names to new values; only values that differ count as
    changes. ``review_status`` may be set to unreviewed, verified or rejected (leaving
    "merged" un-merges the event); ``locked_fields`` replaces the set of locks (to unlock
    a field) before the changed fields are added to it.
    Raises ``EventChanged`` when ``expected_version`` is given and the event has been saved
    since (by another editor or by re-extraction); nothing is written then.
    When the editor moves the event to a gazetteer place or site whose names lack the name
    the article used, an ``AliasSuggestion`` is created.
    """
    unknown = set(changes) - set(LOCKABLE_FIELDS) - UNLOCKED_EDITOR_FIELDS
    if unknown:
        raise ValueError(f"editors cannot change {sorted(unknown)}")
    with transaction.atomic():
        current = Event.objects.select_for_update(of=("self",)).select_related("site").get(pk=event.pk)
        if expected_version is not None and current.version != int(expected_version):
            raise EventChanged(current, int(expected_version))
        old_site_id = current.site_id

        applied: list[str] = []
        for name, raw in changes.items():
            if name in UNLOCKED_EDITOR_FIELDS:
                continue
            value = _clean_value(current, name, raw)
            if name == "site":
                if current.site_id != (value.pk if value else None):
                    current.site = value
                    applied.append(name)
            elif not _same(getattr(current, name), value):
                setattr(current, name, value)
                applied.append(name)
        if "sub_event_type" in applied:
            for derived, func in (("event_type", acled.event_type_for), ("disorder_type", acled.disorder_type_for)):
                if derived not in applied:
                    setattr(current, derived, func(current.sub_event_type))

        locks = set(current.locked_fields or [])
        if "locked_fields" in changes:
            requested = set(changes["locked_fields"] or [])
            bad = requested - set(LOCKABLE_FIELDS)
            if bad:
                raise ValidationError({"locked_fields": f"Not lockable: {sorted(bad)}"})
            locks = requested
        locks |= _lock_set(applied)
        new_locks = _ordered_locks(locks)
        lock_changed = new_locks != list(current.locked_fields or [])
        current.locked_fields = new_locks

        status_note = ""
        if "review_status" in changes and changes["review_status"] != current.review_status:
            status = changes["review_status"]
            if status not in EDITOR_STATUSES:
                raise ValidationError({"review_status": "Use merge_events to merge events."})
            if current.review_status == Status.MERGED:
                _detach_from_survivor(current, user)
                status_note = f"; un-merged ({status})"
            current.review_status = status
            applied.append("review_status")

        if not applied and not lock_changed:
            return current
        current.version += 1
        edited = [f for f in applied if f != "review_status"]
        _set_history(current, user, ("edited: " + ", ".join(edited) if edited else "review") + status_note)
        current.save()
        if "point" in applied or "site" in applied:
            _suggest_aliases(current, user, moved_point=current.point if "point" in applied else None,
                             new_site=current.site if "site" in applied and current.site_id != old_site_id else None)
        return current


def create_event_by_editor(*, data: dict[str, Any], user: Any) -> Event:
    """An event an editor enters by hand: every field they filled in is locked."""
    with transaction.atomic():
        event = Event(review_status=Status.VERIFIED)
        for name, raw in data.items():
            if name not in LOCKABLE_FIELDS:
                continue
            value = _clean_value(event, name, raw)
            setattr(event, name, value)
        if event.sub_event_type:
            event.event_type = acled.event_type_for(event.sub_event_type)
            event.disorder_type = acled.disorder_type_for(event.sub_event_type)
        filled = [f for f in LOCKABLE_FIELDS if (event.site_id if f == "site" else getattr(event, f)) not in (None, "")]
        event.locked_fields = _ordered_locks(_lock_set(filled))
        _set_history(event, user, "entered by an editor")
        event.save()
        return event


def _suggest_aliases(event: Event, user: Any, *, moved_point: Point | None, new_site: Site | None) -> list[AliasSuggestion]:
    """Offer the name the article used as an alias of the place/site the editor chose."""
    target: Site | Place | None = new_site
    if target is None and moved_point is not None:
        km = float(getattr(settings, "ALIAS_SNAP_KM", 3.0))
        target = selectors.nearest_gazetteer_entry(moved_point, km=km)
    if target is None:
        return []
    if isinstance(target, Site):
        known = [target.name_en, target.name_ar, *target.aliases]
        lookup = {"site": target}
    else:
        known = [target.name, target.name_ar, *target.names]
        lookup = {"place": target}
    known_keys = {_name_key(n) for n in known if n} | (set(target.keys) if isinstance(target, Place) else set())
    made = []
    for name in selectors.place_names_in_evidence(event):
        if _name_key(name) in known_keys or AliasSuggestion.objects.filter(name=name, **lookup).exists():
            continue
        made.append(AliasSuggestion.objects.create(name=name, event=event, created_by=user, **lookup))
    return made


def set_review_status(*, events: Iterable[Event], status: str, user: Any) -> int:
    """Mark events unreviewed, verified or rejected; returns how many changed.

    Merged events are left alone (un-merge them first).
    """
    if status not in EDITOR_STATUSES:
        raise ValueError(f"status must be one of {[s.value for s in EDITOR_STATUSES]}")
    ids = sorted({e.pk for e in events})
    changed = 0
    with transaction.atomic():
        for event in Event.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
            if event.review_status in (status, Status.MERGED):
                continue
            event.review_status = status
            event.version += 1
            _set_history(event, user, f"marked {status}")
            event.save()
            changed += 1
    return changed


def merge_events(*, survivor: Event, others: Iterable[Event], user: Any) -> Event:
    """Merge ``others`` into ``survivor``: their sources join it, they point to it as merged.

    The survivor's locked fields stay; its other values are recomputed from all the sources
    it now has (unless an editor verified or rejected it). History is kept on every event,
    and ``unmerge_event`` undoes the merge of one event.
    """
    other_ids = sorted({e.pk for e in others} - {survivor.pk})
    if not other_ids:
        raise MergeError("Choose at least one event to merge into the survivor.")
    with transaction.atomic():
        locked = {e.pk: e for e in Event.objects.select_for_update().filter(
            pk__in=[survivor.pk, *other_ids]).order_by("pk")}
        target = locked[survivor.pk]
        if target.review_status == Status.MERGED:
            raise MergeError(f"Event #{target.pk} is itself merged into #{target.merged_into_id}; choose another survivor.")
        for pk in other_ids:
            other = locked[pk]
            if other.review_status == Status.MERGED:
                raise MergeError(f"Event #{pk} is already merged into #{other.merged_into_id}.")
            for link in EventSource.objects.filter(event_id=pk).order_by("article_id", "id"):
                payload = {"quote": link.quote, "start": link.start, "end": link.end, "extracted": link.extracted}
                _upsert_link(target, link.article_id, payload, merged_from=other)
            other.review_status = Status.MERGED
            other.merged_into = target
            other.version += 1
            _set_history(other, user, f"merged into #{target.pk}")
            other.save()
        if not _refresh(target, reason="merged " + ", ".join(f"#{pk}" for pk in other_ids), user=user):
            target.version += 1
            _set_history(target, user, "merged " + ", ".join(f"#{pk}" for pk in other_ids))
            target.save()
        return target


def _detach_from_survivor(event: Event, user: Any) -> None:
    """Take a merged event's sources back out of its survivor(s). Caller saves ``event``."""
    prev, survivor_id, hops = event, event.merged_into_id, 0
    removed_articles: set[int] | None = None
    while survivor_id and hops < 50:
        survivor = Event.objects.select_for_update().get(pk=survivor_id)
        copies = EventSource.objects.filter(event=survivor, merged_from=prev)
        if removed_articles is not None:
            copies = copies.filter(article_id__in=removed_articles)
        articles = set(copies.values_list("article_id", flat=True))
        if not articles:
            break
        copies.delete()
        _refresh(survivor, reason=f"un-merged #{event.pk}", user=user)
        removed_articles, prev, survivor_id, hops = articles, survivor, survivor.merged_into_id, hops + 1
    event.merged_into = None


def unmerge_event(*, event: Event, user: Any) -> Event:
    """Undo the merge of ``event``: its sources leave the survivor, it gets its status back."""
    with transaction.atomic():
        current = Event.objects.select_for_update().get(pk=event.pk)
        if current.review_status != Status.MERGED:
            raise MergeError(f"Event #{current.pk} is not merged.")
        survivor_id = current.merged_into_id
        _detach_from_survivor(current, user)
        before = current.history.exclude(review_status=Status.MERGED).order_by("-history_date", "-history_id").first()
        current.review_status = before.review_status if before else Status.UNREVIEWED
        current.version += 1
        _set_history(current, user, f"un-merged from #{survivor_id}")
        current.save()
        _refresh(current, reason="un-merged", user=user)
        return current


def accept_alias_suggestion(*, suggestion: AliasSuggestion, user: Any) -> AliasSuggestion:
    """Add the suggested name to its place's names and keys (or its site's aliases)."""
    with transaction.atomic():
        current = AliasSuggestion.objects.select_for_update().get(pk=suggestion.pk)
        name = " ".join(current.name.split())
        if current.place_id:
            place = Place.objects.select_for_update().get(pk=current.place_id)
            names, keys = list(place.names or []), list(place.keys or [])
            k = _name_key(name)
            if name not in names:
                names.append(name)
            if k and k not in keys:
                keys.append(k)
            if names != place.names or keys != place.keys:
                place.names, place.keys = names, keys
                _set_history(place, user, f"alias accepted: {name}")
                place.save()
        elif current.site_id:
            site = Site.objects.select_for_update().get(pk=current.site_id)
            if name not in {site.name_en, site.name_ar, *site.aliases}:
                site.aliases = [*site.aliases, name]
                _set_history(site, user, f"alias accepted: {name}")
                site.save()
        current.accepted = True
        current.save(update_fields=["accepted"])
        return current


def reject_alias_suggestion(*, suggestion: AliasSuggestion, user: Any) -> AliasSuggestion:
    with transaction.atomic():
        current = AliasSuggestion.objects.select_for_update().get(pk=suggestion.pk)
        if current.accepted is None:
            current.accepted = False
            current.save(update_fields=["accepted"])
        return current


def revert_event(*, event: Event, history_id: int, user: Any, expected_version: int | None = None) -> Event:
    """Bring an event back to one of its recorded versions, as an editor's change.

    The fields that differ from that version are set back (and locked, like any editor's
    change); a merged event reverted to a version before its merge is un-merged.
    """
    record = event.history.get(history_id=history_id)
    changes: dict[str, Any] = {}
    for name in LOCKABLE_FIELDS:
        attname = Event._meta.get_field(name).attname
        changes[name] = getattr(record, attname)
    changes["review_status"] = record.review_status
    changes["locked_fields"] = list(record.locked_fields or [])
    if record.review_status == Status.MERGED:
        changes.pop("review_status")  # re-merging goes through merge_events
    return update_event_by_editor(event=event, changes=changes, user=user, expected_version=expected_version)
