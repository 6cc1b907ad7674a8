"""Pages: the map (``/``) and its translations for the browser (``/jsi18n/``).

The page's language comes from ``?lang=en|ar`` when given, else from Django's
``LocaleMiddleware`` (the language cookie, then the browser's ``Accept-Language``).
Everything the script needs is passed in one ``json_script`` element (``#map-options``):
the Content-Security-Policy allows no inline script.
"""
from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_safe
from django.views.i18n import JavaScriptCatalog

from . import acled

LANGS = {code for code, _name in settings.LANGUAGES}


def requested_language(request: HttpRequest) -> str | None:
    lang = (request.GET.get("lang") or "").strip().lower()
    return lang if lang in LANGS else None


def _activate(request: HttpRequest) -> str:
    lang = requested_language(request)
    if lang:
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
    return translation.get_language()


def map_options(request: HttpRequest, *, lang: str) -> dict:
    """The map script's options for the full page (the embed builds its own, see events/embed.py)."""
    user = request.user
    staff = bool(user.is_authenticated and user.is_staff)
    return {
        "embed": False,
        "interactive": True,
        "static": False,
        "slider": True,
        "legend": True,
        "list": True,
        "filters": True,
        "share": True,
        "chrome": True,
        "syncUrl": True,
        "editing": staff,
        "lang": lang,
        "api": reverse("api-events").rsplit("events/", 1)[0],
        "jsi18n": reverse("javascript-catalog"),
        "adminUrl": reverse("admin:events_event_change", args=[0]).replace("/0/", "/{id}/") if staff else "",
        "tileUrl": settings.TILE_URL,
        "tileAttribution": settings.TILE_ATTRIBUTION,
        "outlineUrl": static("vendor/world-atlas/countries-50m.json"),
        "topojsonUrl": static("vendor/topojson-client/topojson-client.min.js"),
        "maxFeatures": settings.API_MAX_FEATURES,
        "countries": sorted(acled.COUNTRIES),
        "center": list(settings.LEAFLET_CONFIG.get("DEFAULT_CENTER", (33.5, 40.0))),
        "zoom": settings.LEAFLET_CONFIG.get("DEFAULT_ZOOM", 5),
    }


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    lang = _activate(request)
    response = render(request, "events/map.html", {"map_options": map_options(request, lang=lang), "lang": lang})
    response["Content-Language"] = lang
    return response


_catalog = JavaScriptCatalog.as_view(domain="djangojs")


@require_safe
def jsi18n(request: HttpRequest) -> HttpResponse:
    """The page's strings for its script, in ``?lang=`` (else the request's language)."""
    _activate(request)
    response = _catalog(request)
    response["Cache-Control"] = "public, max-age=3600"
    return response
