"""The state of a map view for /embed/ and /snapshot.png: parsed, validated, normalised.

The same query string opens the main page (``/``), the embed (``/embed/``) and the
snapshot (``/snapshot.png``). This module reads it once for both of the latter:

- the **filters**, with the same names and meaning as the API's (``start``, ``end``,
  ``sub_event_type`` (several), ``actor``, ``country``, ``status``, ``min_confidence``,
  ``site``, ``bbox``);
- the **map view** (centre, zoom, selected event...), passed through to the page's script
  unchanged once checked to be short and harmless;
- the **embed options** (``static``, ``slider``, ``legend``, ``lang``, ``height``, ``title``);
- for snapshots, the **image size** (``width``, ``height``, ``scale``), bounded by
  ``SNAPSHOT_MAX_PIXELS`` on each side of the final image.

Anything malformed raises :class:`StateError` naming the parameter, which the views
answer with 400. The snapshot's cache key is the normalised state plus a stamp of the
data's last change, so the same view of the same data is rendered once.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Min

from .api.filters import Filters, ParameterError, filter_events, parse_filters, parse_text, single
from .models import Event, EventSource, Site

# A parameter that cannot be read: answered with 400 naming it (the API's own error).
StateError = ParameterError


def filters_query(filters: Filters) -> list[tuple[str, str]]:
    """The filters as query parameters, normalised (sorted, canonical formats)."""
    items: list[tuple[str, str]] = []
    if filters.start:
        items.append(("start", filters.start.isoformat()))
    if filters.end:
        items.append(("end", filters.end.isoformat()))
    items += [("sub_event_type", s) for s in filters.sub_event_types]
    if filters.actor:
        items.append(("actor", filters.actor))
    if filters.countries:
        items.append(("country", ",".join(filters.countries)))
    if filters.status:
        items.append(("status", filters.status))
    if filters.min_confidence is not None:
        items.append(("min_confidence", _fmt(filters.min_confidence)))
    if filters.site:
        items.append(("site", filters.site))
    if filters.bbox:
        items.append(("bbox", ",".join(_fmt(v) for v in filters.bbox)))
    return items


# Bumped whenever the look of the embed changes, so that cached PNGs are not reused.
RENDER_VERSION = "1"

LANGS = ("en", "ar")
TITLE_MAX = 200
MIN_SIDE = 100
MIN_EMBED_HEIGHT, MAX_EMBED_HEIGHT = 150, 4000
MAX_SCALE = 3.0
DEFAULT_WIDTH, DEFAULT_HEIGHT, DEFAULT_SCALE = 1200, 800, 1.0

# The filters the API understands (issue 7); the embed and snapshot accept the same ones.
FILTER_PARAMS = ("start", "end", "sub_event_type", "actor", "country", "status", "min_confidence", "site", "bbox")
# The main page's view state (its script writes these into the URL): passed through.
VIEW_PARAM_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
VIEW_VALUE_RE = re.compile(r"^[A-Za-z0-9_.,:\-]{0,100}$")
MAX_VIEW_PARAMS = 12
# The embed's own options.
EMBED_PARAMS = ("static", "slider", "legend", "lang", "height", "title", "interactive")
# The snapshot's own parameters (``height`` is shared: the embed's map height, the image's height).
SNAPSHOT_PARAMS = ("width", "height", "scale", "title", "lang", "download", "legend")
# Parameters that are never part of a view (cache busters, the API's format switch...).
IGNORED_PARAMS = ("format", "_", "csrfmiddlewaretoken")
# View parameters that change nothing on a static picture.
STATIC_IGNORED = ("tl",)


@dataclass(frozen=True)
class EmbedOptions:
    interactive: bool = True
    slider: bool = True
    legend: bool = True
    lang: str = "en"
    height: int | None = None
    title: str = ""

    def as_query(self) -> list[tuple[str, str]]:
        items: list[tuple[str, str]] = []
        if not self.interactive:
            items.append(("static", "1"))
        if not self.slider:
            items.append(("slider", "0"))
        if not self.legend:
            items.append(("legend", "0"))
        if self.lang != "en":
            items.append(("lang", self.lang))
        if self.height:
            items.append(("height", str(self.height)))
        if self.title:
            items.append(("title", self.title))
        return items


@dataclass(frozen=True)
class ImageSize:
    width: int = DEFAULT_WIDTH
    height: int = DEFAULT_HEIGHT
    scale: float = DEFAULT_SCALE

    @property
    def pixels(self) -> tuple[int, int]:
        return round(self.width * self.scale), round(self.height * self.scale)


@dataclass(frozen=True)
class ViewState:
    filters: Filters = field(default_factory=Filters)
    view: tuple[tuple[str, str], ...] = ()
    options: EmbedOptions = field(default_factory=EmbedOptions)

    def query(self, *, options: bool = True) -> list[tuple[str, str]]:
        items = filters_query(self.filters) + list(self.view)
        if options:
            items += self.options.as_query()
        return items

    def querystring(self, *, options: bool = True) -> str:
        return urlencode(self.query(options=options))


# --- Parsing --------------------------------------------------------------------------

def _fmt(value: float) -> str:
    return format(value, ".6f").rstrip("0").rstrip(".") or "0"


def _bool(params, name: str, default: bool) -> bool:
    raw = single(params, name).lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise StateError(name, "must be 1 or 0.")


def _int(params, name: str, *, lo: int, hi: int, default: int | None) -> int | None:
    raw = single(params, name)
    if raw == "":
        return default
    if not re.fullmatch(r"\d{1,6}", raw):
        raise StateError(name, f"must be a whole number between {lo} and {hi}.")
    value = int(raw)
    if not lo <= value <= hi:
        raise StateError(name, f"must be between {lo} and {hi} (got {value}).")
    return value


def _float(params, name: str, *, lo: float, hi: float, default: float | None) -> float | None:
    raw = single(params, name)
    if raw == "":
        return default
    if not re.fullmatch(r"\d{1,3}(\.\d{1,6})?", raw):
        raise StateError(name, f"must be a number between {_fmt(lo)} and {_fmt(hi)}.")
    value = float(raw)
    if not lo <= value <= hi:
        raise StateError(name, f"must be between {_fmt(lo)} and {_fmt(hi)} (got {raw}).")
    return value


def parse_view(params, *, reserved: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The main page's view parameters (centre, zoom, selected event...), checked and sorted."""
    keys = params.keys() if hasattr(params, "keys") else []
    view: list[tuple[str, str]] = []
    for key in keys:
        if key in reserved or key in FILTER_PARAMS or key in IGNORED_PARAMS:
            continue
        if not VIEW_PARAM_RE.fullmatch(key):
            raise StateError(key[:40], "is not a known parameter.")
        value = single(params, key)
        if not VIEW_VALUE_RE.fullmatch(value):
            raise StateError(key, "has characters a map view does not use, or is too long.")
        view.append((key, value))
    if len(view) > MAX_VIEW_PARAMS:
        raise StateError("query", "has too many parameters.")
    return tuple(sorted(view))


def parse_options(params) -> EmbedOptions:
    lang = single(params, "lang").lower() or "en"
    if lang not in LANGS:
        raise StateError("lang", "must be 'en' or 'ar'.")
    interactive = not _bool(params, "static", False)
    if single(params, "interactive"):
        interactive = _bool(params, "interactive", True) and interactive
    return EmbedOptions(
        interactive=interactive,
        slider=_bool(params, "slider", interactive),
        legend=_bool(params, "legend", True),
        lang=lang,
        height=_int(params, "height", lo=MIN_EMBED_HEIGHT, hi=MAX_EMBED_HEIGHT, default=None),
        title=parse_text(params, "title", limit=TITLE_MAX),
    )


def parse_embed(params) -> ViewState:
    """The state of an /embed/ request."""
    return ViewState(
        filters=parse_filters(params),
        view=parse_view(params, reserved=EMBED_PARAMS),
        options=parse_options(params),
    )


def parse_snapshot(params) -> tuple[ViewState, ImageSize]:
    """The state and image size of a /snapshot.png request.

    A snapshot is always static, without the slider; ``height`` is the image's height.
    """
    limit = settings.SNAPSHOT_MAX_PIXELS
    width = _int(params, "width", lo=MIN_SIDE, hi=limit, default=min(DEFAULT_WIDTH, limit))
    height = _int(params, "height", lo=MIN_SIDE, hi=limit, default=min(DEFAULT_HEIGHT, limit))
    scale = _float(params, "scale", lo=1.0, hi=MAX_SCALE, default=DEFAULT_SCALE)
    size = ImageSize(width=width, height=height, scale=scale)
    px_w, px_h = size.pixels
    if px_w > limit or px_h > limit:
        raise StateError("scale", f"width and height times scale must not exceed {limit} pixels ({px_w}x{px_h} asked).")
    lang = single(params, "lang").lower() or "en"
    if lang not in LANGS:
        raise StateError("lang", "must be 'en' or 'ar'.")
    options = EmbedOptions(
        interactive=False, slider=False, legend=_bool(params, "legend", True), lang=lang,
        title=parse_text(params, "title", limit=TITLE_MAX),
    )
    _bool(params, "download", False)  # checked, not part of the image
    view = parse_view(params, reserved=SNAPSHOT_PARAMS + EMBED_PARAMS)
    # The timeline's zoom (tl) does not show on a picture without a slider: not part of its identity.
    view = tuple(item for item in view if item[0] not in STATIC_IGNORED)
    state = ViewState(filters=parse_filters(params), view=view, options=options)
    return state, size


# --- Data -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Credit:
    articles: int
    outlets: tuple[str, ...]
    more_outlets: int
    events: int
    first: date | None
    last: date | None


def credit_for(filters: Filters, *, outlets_shown: int = 3) -> Credit:
    """How many articles, from which outlets, report the events of a view (for the credit line)."""
    events = filter_events(filters)
    links = EventSource.objects.filter(event__in=events.values("pk"))
    n_articles = links.values("article_id").distinct().count()
    outlet_rows = list(
        links.exclude(article__outlet="")
        .values("article__outlet")
        .annotate(n=Count("article_id", distinct=True))
        .order_by("-n", "article__outlet")
    )
    names = tuple(row["article__outlet"] for row in outlet_rows[:outlets_shown])
    span = events.aggregate(first=Min("event_date"), last=Max("event_date"), n=Count("pk"))
    return Credit(
        articles=n_articles,
        outlets=names,
        more_outlets=max(0, len(outlet_rows) - outlets_shown),
        events=span["n"],
        first=span["first"],
        last=span["last"],
    )


def data_stamp() -> str:
    """Changes whenever an event, a link to an article, or a site changes (or one is removed).

    Kept in the cache for ``SNAPSHOT_STAMP_TTL`` seconds (10 by default): a change shows in
    new snapshots and embeds at most that late, and popular views cost no count queries.
    """
    ttl = getattr(settings, "SNAPSHOT_STAMP_TTL", 10)
    if ttl > 0:
        stamp = cache.get("conflictmap:data-stamp")
        if stamp is None:
            stamp = _data_stamp()
            cache.set("conflictmap:data-stamp", stamp, ttl)
        return stamp
    return _data_stamp()


def _data_stamp() -> str:
    ev = Event.objects.aggregate(n=Count("pk"), last=Max("updated_at"), top=Max("pk"))
    src = EventSource.objects.aggregate(n=Count("pk"), top=Max("pk"))
    sites = Site.objects.aggregate(n=Count("pk"), top=Max("pk"))
    parts = [ev["n"], ev["last"].isoformat() if ev["last"] else "", ev["top"], src["n"], src["top"], sites["n"], sites["top"]]
    return "|".join(str(p) for p in parts)


def cache_key(state: ViewState, size: ImageSize, *, stamp: str | None = None) -> str:
    """The snapshot's identity: its normalised state, its size, the data's last change."""
    payload = {
        "v": RENDER_VERSION,
        "q": state.query(),
        "size": asdict(size),
        "data": data_stamp() if stamp is None else stamp,
        "tiles": settings.TILE_URL,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:40]
