"""For journalists: the embeddable map (``/embed/``) and PNG snapshots (``/snapshot.png``).

``/embed/`` is the only page other sites may frame: it drops ``X-Frame-Options`` and sets
the CSP ``frame-ancestors`` to ``EMBED_FRAME_ANCESTORS``. Every other response keeps
``X-Frame-Options: DENY`` and ``frame-ancestors 'none'`` from the settings.

``/snapshot.png`` validates the view (400 with the parameter and why), looks the PNG up on
disk by its cache key (normalised state + the data's last change), and otherwise has a
Celery worker render ``/embed/?<state>&static=1`` in headless Chromium, waiting at most
``SNAPSHOT_TIMEOUT`` seconds (503 with a message after that or on failure). It has its own
rate limit (``SNAPSHOT_RATE``), stricter than the API's.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe
from rest_framework.throttling import SimpleRateThrottle

from . import acled
from .snapshot import (
    Credit,
    ImageSize,
    StateError,
    ViewState,
    cache_key,
    credit_for,
    filter_events,
    parse_embed,
    parse_snapshot,
)

log = logging.getLogger(__name__)


# --- Helpers shared by the embed page and the snapshot ---------------------------------

def window_text(state: ViewState, credit: Credit) -> str:
    """The date window written out (in the active language): '3 March 2024 – 9 March 2024'."""
    start = state.filters.start or credit.first
    end = state.filters.end or credit.last
    if not start and not end:
        return _("All dates")
    if start and end and start == end:
        return date_format(start, "j F Y")
    left = date_format(start, "j F Y") if start else "…"
    right = date_format(end, "j F Y") if end else "…"
    return f"{left} – {right}"


def credit_text(credit: Credit) -> str:
    """'conflictmap · data: 12 articles from outlets A, B and 3 more · © OpenStreetMap contributors, GeoNames'."""
    articles = ngettext("%(n)d article", "%(n)d articles", credit.articles) % {"n": credit.articles}
    data = _("data: %(articles)s") % {"articles": articles}
    if credit.outlets:
        outlets = ", ".join(credit.outlets)
        if credit.more_outlets:
            outlets += " " + (_("and %(n)d more") % {"n": credit.more_outlets})
        data += " " + (_("from outlets %(outlets)s") % {"outlets": outlets})
    return " · ".join(["conflictmap", data, _("© OpenStreetMap contributors, GeoNames")])


def legend_items(state: ViewState) -> list[dict]:
    """The sub-event types the view shows, most frequent first, with their counts."""
    from django.db.models import Count

    rows = (
        filter_events(state.filters).values("sub_event_type").annotate(n=Count("pk")).order_by("-n", "sub_event_type")
    )
    return [
        {
            "type": row["sub_event_type"],
            "label": _(row["sub_event_type"]),
            "event_type": acled.SUB_EVENT_TO_EVENT.get(row["sub_event_type"], ""),
            "slug": slugify_type(row["sub_event_type"]),
            "count": row["n"],
        }
        for row in rows
    ]


def slugify_type(sub_event_type: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in sub_event_type.lower()).strip("-")


def _bad_request(exc: StateError, *, as_json: bool) -> HttpResponse:
    if as_json:
        return JsonResponse(exc.as_dict(), status=400)
    return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")


# --- /embed/ ---------------------------------------------------------------------------

def view_summary(state: ViewState) -> tuple[Credit, list[dict]]:
    """The credit and legend of a view, cached per filters, language and data stamp."""
    from .snapshot import data_stamp, filters_query

    key = "conflictmap:embed-summary:" + hashlib.sha256(
        json.dumps([filters_query(state.filters), translation.get_language(), data_stamp()], default=str).encode()
    ).hexdigest()
    summary = cache.get(key)
    if summary is None:
        summary = (credit_for(state.filters), legend_items(state))
        cache.set(key, summary, 300)
    return summary


@require_safe
@xframe_options_exempt
def embed(request: HttpRequest) -> HttpResponse:
    try:
        state = parse_embed(request.GET)
    except StateError as exc:
        return _bad_request(exc, as_json=False)
    with translation.override(state.options.lang):
        credit, legend = view_summary(state)
        full_query = state.query(options=False)
        if state.options.lang != "en":
            full_query.append(("lang", state.options.lang))
        full_url = request.build_absolute_uri(reverse("home")) + ("?" + urlencode(full_query) if full_query else "")
        context = {
            "state": state,
            "options": state.options,
            "window_text": window_text(state, credit),
            "credit_text": credit_text(credit),
            "credit": credit,
            "legend": legend if state.options.legend else [],
            "full_url": full_url,
            "lang": state.options.lang,
            "bidi": translation.get_language_bidi(),
            "embed_config": {
                "embed": True,
                "interactive": state.options.interactive,
                "static": not state.options.interactive,
                "slider": state.options.slider,
                "legend": state.options.legend,
                "lang": state.options.lang,
                "chrome": False,
                "editing": False,
                "list": False,
                "share": False,
                "title": state.options.title,
                "filters": False,
                "syncUrl": False,
                "adminUrl": "",
                "query": state.querystring(options=False),
                "fullUrl": full_url,
                "creditUrl": reverse("embed_credit"),
                "api": reverse("api-events").rsplit("events/", 1)[0],
                "jsi18n": reverse("javascript-catalog"),
                "tileUrl": settings.TILE_URL,
                "tileAttribution": settings.TILE_ATTRIBUTION,
                "outlineUrl": static("vendor/world-atlas/countries-50m.json"),
                "topojsonUrl": static("vendor/topojson-client/topojson-client.min.js"),
                "maxFeatures": settings.API_MAX_FEATURES,
                "center": list(settings.LEAFLET_CONFIG.get("DEFAULT_CENTER", (33.5, 40.0))),
                "zoom": settings.LEAFLET_CONFIG.get("DEFAULT_ZOOM", 5),
            },
        }
        response = render(request, "events/embed.html", context)
    # Only this page may be framed, by the sites EMBED_FRAME_ANCESTORS names ('*' by default).
    response._csp_replace = {"frame-ancestors": list(settings.EMBED_FRAME_ANCESTORS)}
    response["Cache-Control"] = "public, max-age=60"
    response["Content-Language"] = state.options.lang
    return response


@require_safe
def embed_credit(request: HttpRequest) -> HttpResponse:
    """The credit line and written-out window of a view, for the share dialog (JSON)."""
    try:
        state = parse_embed(request.GET)
    except StateError as exc:
        return _bad_request(exc, as_json=True)
    with translation.override(state.options.lang):
        credit, _legend = view_summary(state)
        data = {
            "credit": credit_text(credit),
            "window": window_text(state, credit),
            "articles": credit.articles,
            "outlets": list(credit.outlets),
            "more_outlets": credit.more_outlets,
            "events": credit.events,
        }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=60"
    return response


def _credited_geojson_view():
    """/embed/events.geojson: the API's GeoJSON of a view, with its credit in the collection.

    Built on the API's own view (same filters, limits, rate limits and errors); the
    collection gains the foreign members ``attribution`` (the credit line), ``window``
    and ``source`` (the full view), which RFC 7946 readers ignore.
    """
    from .api.views import EventListView, GeoJSONRenderer

    class CreditedEventsGeoJSON(EventListView):
        renderer_classes = [GeoJSONRenderer]
        schema = None  # a download for the share dialog, not part of the documented API

        def get(self, request):
            response = super().get(request)
            try:
                state = parse_embed(request.GET)
            except StateError:  # the filters were read by the API view already
                state = None
            if state is None or response.status_code != 200:
                return response
            with translation.override(state.options.lang):
                credit = credit_for(state.filters)
                query = state.querystring(options=False)
                members = {
                    "attribution": credit_text(credit),
                    "window": window_text(state, credit),
                    "source": request.build_absolute_uri(reverse("home")) + (f"?{query}" if query else ""),
                }
            body = response.content.decode("utf-8")
            head = json.dumps(members, ensure_ascii=False)[1:-1]
            response.content = ("{" + head + ", " + body.lstrip()[1:]).encode("utf-8")
            name = "conflictmap-events"
            if state.filters.start or state.filters.end:
                name += f"-{state.filters.start or ''}_{state.filters.end or ''}"
            response["Content-Disposition"] = f'attachment; filename="{name}.geojson"'
            return response

    return CreditedEventsGeoJSON.as_view()


export_geojson = _credited_geojson_view()


# --- /snapshot.png -----------------------------------------------------------------------

class SnapshotRateThrottle(SimpleRateThrottle):
    """Per client (user id when logged in, else address), at ``SNAPSHOT_RATE`` (30/minute)."""

    scope = "snapshot"

    def get_rate(self) -> str | None:
        # Read at request time (not at import), so that the setting can be changed.
        return settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(self.scope)

    def get_cache_key(self, request, view) -> str:
        user = getattr(request, "user", None)
        ident = f"user-{user.pk}" if user is not None and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


def snapshot_path(key: str) -> Path:
    return Path(settings.SNAPSHOT_DIR) / key[:2] / f"{key}.png"


def _unavailable(message: str, *, retry_after: int = 30) -> HttpResponse:
    response = HttpResponse(
        _("The snapshot could not be made: %(why)s. Please try again later.") % {"why": message},
        status=503,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(retry_after)
    return response


def _png_response(path: Path, *, key: str, hit: bool, download: bool, state: ViewState) -> HttpResponse:
    response = FileResponse(open(path, "rb"), content_type="image/png")
    filters = state.filters
    name = "conflictmap"
    if filters.start or filters.end:
        name += f"-{filters.start or ''}-{filters.end or ''}"
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{name}.png"'
    response["Cache-Control"] = "public, max-age=300"
    response["ETag"] = f'"{key}"'
    response["X-Snapshot-Cache"] = "hit" if hit else "miss"
    return response


def _prune(directory: Path, keep: int) -> None:
    """Keep the ``keep`` most recently used PNGs under ``directory``."""
    try:
        files = sorted(directory.glob("*/*.png"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in files[keep:]:
        old.unlink(missing_ok=True)


def snapshot_base_url(request: HttpRequest) -> str:
    """Where the worker's browser finds this site: ``SNAPSHOT_BASE_URL``, else this request's own origin."""
    base = settings.SNAPSHOT_BASE_URL or request.build_absolute_uri("/")
    return base.rstrip("/")


@require_safe
def snapshot(request: HttpRequest) -> HttpResponse:
    throttle = SnapshotRateThrottle()
    if not throttle.allow_request(request, None):
        wait = throttle.wait()
        response = JsonResponse({"detail": "Too many snapshot requests; try again later."}, status=429)
        if wait is not None:
            response["Retry-After"] = str(max(1, int(wait + 0.999)))
        return response
    try:
        state, size = parse_snapshot(request.GET)
    except StateError as exc:
        return _bad_request(exc, as_json=True)
    download = request.GET.get("download", "") in ("1", "true", "yes", "on")

    key = cache_key(state, size)
    path = snapshot_path(key)
    if path.exists():
        os.utime(path)  # most recently used: kept by the pruning
        return _png_response(path, key=key, hit=True, download=download, state=state)

    timeout = float(settings.SNAPSHOT_TIMEOUT)
    url = f"{snapshot_base_url(request)}{reverse('embed')}?{state.querystring()}"
    lock = f"snapshot-render:{key}"
    started = time.monotonic()
    if cache.add(lock, 1, timeout=int(timeout) + 30):
        try:
            error = _render(url=url, path=path, size=size, timeout=timeout)
        finally:
            cache.delete(lock)
        if error:
            return _unavailable(error)
        _prune(Path(settings.SNAPSHOT_DIR), settings.SNAPSHOT_CACHE_FILES)
    else:
        # The same view is being rendered for another request: wait for its file.
        while not path.exists() and time.monotonic() - started < timeout + 5:
            time.sleep(0.2)
            if cache.get(lock) is None and not path.exists():
                break
        if not path.exists():
            return _unavailable(_("the same view is being rendered and did not finish in time"))
    return _png_response(path, key=key, hit=False, download=download, state=state)


def _render(*, url: str, path: Path, size: ImageSize, timeout: float) -> str:
    """Have a worker render ``url`` into ``path``; '' on success, else why not."""
    from celery.exceptions import TimeoutError as CeleryTimeout

    from .tasks import SnapshotError, render_snapshot

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        result = render_snapshot.apply_async(
            kwargs={
                "url": url, "out_path": str(path), "width": size.width, "height": size.height,
                "scale": size.scale, "timeout": timeout,
            },
            expires=timeout + 5,  # a render nobody waits for any more is not started
            soft_time_limit=timeout + 10,
            time_limit=timeout + 20,
        )
        outcome = result.get(timeout=timeout + 5, propagate=True, disable_sync_subtasks=False)
    except CeleryTimeout:
        log.warning("snapshot timed out after %ss: %s", timeout, url)
        try:
            result.revoke()
        except Exception:  # the broker may be gone too
            pass
        return _("the render took longer than %(s)s seconds") % {"s": f"{timeout:g}"}
    except Exception as exc:  # the render failed in the worker, or the broker is unreachable
        log.warning("snapshot failed: %s: %r", url, exc)
        message = str(exc).strip()
        if "took longer" in message:
            return _("the render took longer than %(s)s seconds") % {"s": f"{timeout:g}"}
        if isinstance(exc, SnapshotError):
            return _("the renderer failed (%(why)s)") % {"why": message[:200]}
        return _("the renderer is unavailable")
    if not path.exists():
        return _("the renderer returned no image (is SNAPSHOT_DIR shared with the workers?)")
    log.info("snapshot %s: %s", "rendered" if outcome.get("rendered") else "found", path.name)
    return ""
