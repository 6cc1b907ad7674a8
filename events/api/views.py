"""The public, read-only API: GeoJSON events, one event with its sources, the timeline's
counts, the sites layer and the ACLED CSV export.

Every view is a DRF ``APIView`` so that the rate limits (``REST_FRAMEWORK`` throttles),
the OpenAPI schema and the browsable API come with it; only GET, HEAD and OPTIONS are
allowed. Bad parameters answer 400 with ``{"detail": "<param>: <why>", "param": ...}``.
"""
from __future__ import annotations

import hashlib
import itertools
import json
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Min
from django.db.models.functions import TruncMonth, TruncWeek
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status as http
from rest_framework.exceptions import APIException, NotFound
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from events import acled
from events.models import Event, EventSource, Site

from . import csv as acled_csv
from . import geojson
from .filters import BIGINT_MAX, ParameterError, filter_events, parse_bbox, parse_filters, parse_int, many, single

INTERVALS = ("day", "week", "month")
# The timeline's counts are kept this long in the cache; any change to an event (its
# updated_at) or a new event changes the key, so this only bounds how long a deletion
# can go unnoticed.
TIMELINE_CACHE_SECONDS = 300


def data_version() -> str:
    """Changes when an event is added or changed (two index look-ups)."""
    stamp = Event.objects.order_by().aggregate(u=Max("updated_at"), i=Max("id"))
    return f"{stamp['u'].isoformat() if stamp['u'] else ''}|{stamp['i'] or 0}"


def _cache_key(kind: str, interval: str, filters) -> str:
    raw = repr((kind, interval, filters, data_version()))
    return "api:" + kind + ":" + hashlib.sha256(raw.encode()).hexdigest()[:32]


# --- Plumbing ------------------------------------------------------------------------------

class BadParameter(APIException):
    status_code = http.HTTP_400_BAD_REQUEST
    default_code = "bad_parameter"

    def __init__(self, error: ParameterError) -> None:
        super().__init__()
        self.detail = error.as_dict()


class ReadOnly(BasePermission):
    """The public API reads; nothing in it writes, for anyone."""

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS


class GeoJSONRenderer(JSONRenderer):
    media_type = "application/geo+json"
    format = "geojson"


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # Only errors reach this renderer (the export itself is streamed): write them as JSON.
        return json.dumps(data, default=str).encode()


class PublicAPIView(APIView):
    permission_classes = [ReadOnly]
    http_method_names = ["get", "head", "options"]

    def filters(self, request):
        try:
            return parse_filters(request.query_params)
        except ParameterError as exc:
            raise BadParameter(exc) from None

    def param(self, parse, *args, **kwargs):
        try:
            return parse(*args, **kwargs)
        except ParameterError as exc:
            raise BadParameter(exc) from None


def safe_url(url: str) -> str:
    """``url`` when it is an http(s) URL, else '' (no javascript:, data:... links ever)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


FILTER_PARAMETERS = [
    OpenApiParameter("bbox", OpenApiTypes.STR, description="west,south,east,north in degrees (WGS 84), e.g. 38.8,29.0,48.6,37.4"),
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day (YYYY-MM-DD), inclusive."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day (YYYY-MM-DD), inclusive; not before start."),
    OpenApiParameter(
        "sub_event_type", OpenApiTypes.STR, many=True, explode=True, enum=list(acled.SUB_EVENT_TYPES),
        description="ACLED sub-event type; repeat the parameter (or separate with commas) for several.",
    ),
    OpenApiParameter("actor", OpenApiTypes.STR, description="Text in actor 1 or actor 2 (case-insensitive), at most 200 characters."),
    OpenApiParameter("country", OpenApiTypes.STR, description="ISO 3166-1 alpha-2 code(s), comma-separated, e.g. IQ,SY."),
    OpenApiParameter(
        "status", OpenApiTypes.STR, enum=["all", "verified"],
        description="'verified': verified events only. 'all' (default): every event except rejected and merged ones.",
    ),
    OpenApiParameter("min_confidence", OpenApiTypes.FLOAT, description="0 to 1."),
    OpenApiParameter("site", OpenApiTypes.STR, description="A site's id or slug: only events at that site."),
]
ERRORS = {400: OpenApiResponse(OpenApiTypes.OBJECT, description="A parameter could not be read: {detail, param}."),
          429: OpenApiResponse(OpenApiTypes.OBJECT, description="Rate limit reached; see Retry-After.")}


# --- /api/events/ --------------------------------------------------------------------------

class EventListView(PublicAPIView):
    """Events as an RFC 7946 GeoJSON FeatureCollection, most recent first.

    At most ``limit`` features (default and maximum: ``API_MAX_FEATURES``). When the
    filters match more, the collection says ``"truncated": true`` with the ``total``, and
    the response carries ``X-Total-Count`` and ``X-Truncated: true``: narrow the window.
    """

    renderer_classes = [GeoJSONRenderer, JSONRenderer, BrowsableAPIRenderer]

    @extend_schema(
        operation_id="events_list",
        parameters=FILTER_PARAMETERS + [
            OpenApiParameter("limit", OpenApiTypes.INT, description="At most this many features (1 to API_MAX_FEATURES)."),
        ],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="GeoJSON FeatureCollection"), **ERRORS},
    )
    def get(self, request):
        filters = self.filters(request)
        maximum = settings.API_MAX_FEATURES
        limit = self.param(parse_int, request.query_params, "limit", lo=1, hi=maximum, default=maximum)
        qs = filter_events(filters)
        features, count, truncated = geojson.features_json(qs, limit=limit)
        total = qs.filter(point__isnull=False).count() if truncated else count
        body = geojson.collection_text(features, count=count, total=total, truncated=truncated, limit=limit)
        if request.accepted_renderer.format == "api":
            response = Response(json.loads(body))
        else:
            response = HttpResponse(body, content_type=f"{request.accepted_renderer.media_type}; charset=utf-8")
        response["X-Total-Count"] = str(total)
        response["X-Truncated"] = "true" if truncated else "false"
        return response


# --- /api/events/<id>/ -----------------------------------------------------------------------

def _short_evidence(evidence: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for field, items in (evidence or {}).items():
        if not isinstance(items, list):
            continue
        kept = []
        for item in items[:5]:
            if isinstance(item, dict) and item.get("text"):
                kept.append({"article": item.get("article"), "text": str(item["text"])[:300]})
        if kept:
            out[str(field)] = kept
    return out


def event_detail(event: Event) -> dict:
    links = (
        EventSource.objects.filter(event_id=event.pk)
        .select_related("article")
        .order_by("article__published", "article_id")
    )
    sources = [
        {
            "article": link.article_id,
            "outlet": link.article.outlet,
            "title": link.article.title,
            "url": safe_url(link.article.url or link.article.canonical_url or ""),
            "published": link.article.published.isoformat() if link.article.published else None,
            "language": link.article.language,
            "quote": link.quote,
        }
        for link in links
    ]
    site = event.site
    properties = {
        "event_date": event.event_date.isoformat(),
        "time_precision": event.time_precision,
        "disorder_type": event.disorder_type,
        "event_type": event.event_type,
        "sub_event_type": event.sub_event_type,
        "actor1": event.actor1,
        "assoc_actor_1": event.assoc_actor_1,
        "inter1": event.inter1,
        "actor2": event.actor2,
        "assoc_actor_2": event.assoc_actor_2,
        "inter2": event.inter2,
        "interaction": acled.interaction_code(event.inter1, event.inter2),
        "civilian_targeting": event.civilian_targeting,
        "country": event.country,
        "country_name": acled.country_name(event.country) if event.country else "",
        "admin1": event.admin1,
        "admin2": event.admin2,
        "location": event.location,
        "geo_precision": event.geo_precision,
        "fatalities": event.fatalities,
        "injured": event.injured,
        "weapon": event.weapon,
        "target": event.target,
        "notes": event.notes,
        "confidence": event.confidence,
        "review_status": event.review_status,
        "site": {
            "id": site.pk, "slug": site.slug, "name_en": site.name_en, "name_ar": site.name_ar,
            "kind": site.kind, "operator": site.operator,
        } if site else None,
        "evidence": _short_evidence(event.evidence),
        "sources": sources,
        "updated_at": event.updated_at.isoformat() if event.updated_at else None,
    }
    return geojson.feature(event.pk, event.point, properties)


class EventDetailView(PublicAPIView):
    """One event with all its fields, the evidence and every source (outlet, title, URL, published, quote).

    A merged event redirects to the event it was merged into; rejected events are not public.
    """

    renderer_classes = [GeoJSONRenderer, JSONRenderer, BrowsableAPIRenderer]

    @extend_schema(operation_id="events_retrieve", responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="GeoJSON Feature"), 301: None, 404: None})
    def get(self, request, pk: int):
        if pk > BIGINT_MAX:
            raise NotFound("No such event.")
        event = Event.objects.select_related("site").filter(pk=pk).first()
        if event is None or event.review_status == Event.ReviewStatus.REJECTED:
            raise NotFound("No such event.")
        if event.review_status == Event.ReviewStatus.MERGED and event.merged_into_id:
            from events.selectors import survivor_of

            survivor = survivor_of(event)
            if survivor.pk != event.pk and survivor.review_status != Event.ReviewStatus.REJECTED:
                return redirect(reverse("api-event-detail", args=[survivor.pk]), permanent=True)
            raise NotFound("No such event.")
        return Response(event_detail(event))


# --- /api/timeline/ --------------------------------------------------------------------------

class TimelineView(PublicAPIView):
    """How many events per day, week (starting Monday) or month, for the same filters as /api/events/.

    Only periods with events are listed. ``first`` and ``last`` are the dates of the first
    and last matching events.
    """

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]

    @extend_schema(
        operation_id="timeline",
        parameters=FILTER_PARAMETERS + [OpenApiParameter("interval", OpenApiTypes.STR, enum=list(INTERVALS), description="day (default), week or month.")],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="{interval, total, first, last, buckets: [{date, count}]}"), **ERRORS},
    )
    def get(self, request):
        filters = self.filters(request)
        interval = single(request.query_params, "interval").lower() or "day"
        if interval not in INTERVALS:
            raise BadParameter(ParameterError("interval", "must be 'day', 'week' or 'month'."))
        key = _cache_key("timeline", interval, filters)
        data = cache.get(key)
        if data is None:
            data = self.counts(filters, interval)
            cache.set(key, data, TIMELINE_CACHE_SECONDS)
        return Response(data)

    @staticmethod
    def counts(filters, interval: str) -> dict:
        qs = filter_events(filters).order_by()
        if interval == "day":
            rows = qs.values_list("event_date").annotate(n=Count("id")).order_by("event_date")
        else:
            trunc = TruncWeek if interval == "week" else TruncMonth
            rows = qs.annotate(bucket=trunc("event_date")).values_list("bucket").annotate(n=Count("id")).order_by("bucket")
        buckets = [{"date": day.isoformat()[:10], "count": n} for day, n in rows]
        data = {
            "interval": interval,
            "total": sum(b["count"] for b in buckets),
            "first": None,
            "last": None,
            "buckets": buckets,
        }
        if buckets:
            span = qs.aggregate(first=Min("event_date"), last=Max("event_date")) if interval != "day" else None
            data["first"] = span["first"].isoformat() if span else buckets[0]["date"]
            data["last"] = span["last"].isoformat() if span else buckets[-1]["date"]
        return data


# --- /api/sites/ -----------------------------------------------------------------------------

class SiteListView(PublicAPIView):
    """Sites (bases, airfields, oil fields, crossings...) as a GeoJSON FeatureCollection, with their operator."""

    renderer_classes = [GeoJSONRenderer, JSONRenderer, BrowsableAPIRenderer]

    @extend_schema(
        operation_id="sites_list",
        parameters=[
            OpenApiParameter("bbox", OpenApiTypes.STR, description="west,south,east,north in degrees."),
            OpenApiParameter("country", OpenApiTypes.STR, description="ISO 3166-1 alpha-2 code(s), comma-separated."),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=[k for k, _ in Site.Kind.choices], description="Kind(s) of site, comma-separated."),
        ],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="GeoJSON FeatureCollection"), **ERRORS},
    )
    def get(self, request):
        params = request.query_params
        bbox = self.param(parse_bbox, params)
        countries = [c.upper() for c in self.param(many, params, "country")]
        for code in countries:
            if len(code) != 2 or not code.isascii() or not code.isalpha():
                raise BadParameter(ParameterError("country", f"{code[:20]!r} is not an ISO 3166-1 alpha-2 code."))
        kinds = self.param(many, params, "kind")
        known = {k for k, _ in Site.Kind.choices}
        for kind in kinds:
            if kind not in known:
                raise BadParameter(ParameterError("kind", f"{kind[:40]!r} is not one of {', '.join(sorted(known))}."))
        qs = Site.objects.filter(point__isnull=False).order_by("name_en")
        if bbox:
            from django.contrib.gis.geos import Polygon

            box = Polygon.from_bbox(bbox)
            box.srid = 4326
            qs = qs.filter(point__intersects=box)
        if countries:
            qs = qs.filter(country__in=countries)
        if kinds:
            qs = qs.filter(kind__in=kinds)
        labels = dict(Site.Kind.choices)
        features = [
            geojson.feature(site.pk, site.point, {
                "slug": site.slug, "name_en": site.name_en, "name_ar": site.name_ar, "kind": site.kind,
                "kind_label": str(labels.get(site.kind, site.kind)), "operator": site.operator,
                "country": site.country, "admin1": site.admin1, "precision_km": site.precision_km,
            })
            for site in qs
        ]
        return Response(geojson.collection(features, count=len(features)))


# --- /api/events.csv ------------------------------------------------------------------------

class EventCSVView(PublicAPIView):
    """Events as ACLED-compatible CSV (ACLED's columns in ACLED's order), streamed, for the same filters.

    Text cells that begin with =, +, -, @, a tab or a carriage return are prefixed with an
    apostrophe, so that spreadsheet programs do not run them as formulas.
    """

    renderer_classes = [CSVRenderer, JSONRenderer]

    @extend_schema(
        operation_id="events_csv",
        parameters=FILTER_PARAMETERS,
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="ACLED CSV"), **ERRORS},
    )
    def get(self, request):
        filters = self.filters(request)
        qs = filter_events(filters)
        lines = acled_csv.rows(qs)
        # The header and the first row before the 200 goes out: if the database is down,
        # the client gets the 503 rather than a file cut after its header.
        head = list(itertools.islice(lines, 2))
        response = StreamingHttpResponse(itertools.chain(head, lines), content_type="text/csv; charset=utf-8")
        name = "conflictmap-events"
        if filters.start or filters.end:
            name += f"-{filters.start or ''}_{filters.end or ''}"
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        response["X-Content-Type-Options"] = "nosniff"
        return response
