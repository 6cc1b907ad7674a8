"""Answer 503 with a plain message when the database is down, instead of a stack trace.

Where a database error can come from, and how each path reaches this middleware:

* a view, a template rendered by it, DRF: ``process_exception`` below turns it into the
  503 directly (and logs one line, not a traceback per request during an outage);
* another middleware: the session middleware saving a session, the authentication
  middleware loading ``request.user``, axes recording a login attempt, the history
  middleware... Django never passes those to ``process_exception``: the handler wrapped
  around *each* middleware (``convert_exception_to_response``) turns the exception into
  a 500 response (the technical page with a stack trace when ``DEBUG`` is on) before it
  can travel outwards. That wrapper sends ``got_request_exception`` while it handles the
  exception, so a receiver remembers a database error on the request and ``__call__``,
  which sits outside every middleware that touches the database, swaps the 500 for the
  503.

The middleware must therefore come before (outside) every middleware that may query the
database: it is placed after ``SecurityMiddleware`` (which then adds HSTS and nosniff to
the 503 too) and WhiteNoise (static files need no database), before the session
middleware. ``tests/reliability/test_postgres_restart.py`` checks that order.
"""
from __future__ import annotations

import logging
import sys

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger("conflictmap.database")

MESSAGE = "The database is unavailable at the moment. Please try again in a minute."
RETRY_AFTER = "30"
_REQUEST_ATTR = "_conflictmap_database_error"
DATABASE_ERRORS = (OperationalError, InterfaceError)


def database_error(exception: BaseException | None) -> BaseException | None:
    """The database error in ``exception`` or in what caused it (a template error wrapping one...)."""
    seen = 0
    while exception is not None and seen < 10:
        if isinstance(exception, DATABASE_ERRORS):
            return exception
        exception = exception.__cause__ or exception.__context__
        seen += 1
    return None


def unavailable_response(request: HttpRequest) -> HttpResponse:
    wants_json = request.path.startswith("/api/") or request.path == "/healthz" or (
        "application/json" in request.headers.get("Accept", "") and "text/html" not in request.headers.get("Accept", "")
    )
    if wants_json:
        response: HttpResponse = JsonResponse({"detail": MESSAGE}, status=503)
    else:
        response = HttpResponse(MESSAGE + "\n", status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = RETRY_AFTER
    response["Cache-Control"] = "no-store"
    # The inner middleware (CSP included) did not run for this response: keep it inert.
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    return response


def _remember_database_error(sender, request: HttpRequest | None = None, **kwargs) -> None:
    """``got_request_exception`` receiver: runs inside Django's ``except`` block."""
    if request is None:
        return
    exc = database_error(sys.exc_info()[1])
    if exc is not None:
        setattr(request, _REQUEST_ATTR, exc)


got_request_exception.connect(_remember_database_error, dispatch_uid="conflictmap.database_unavailable")


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        exc = getattr(request, _REQUEST_ATTR, None)
        if exc is not None and response.status_code >= 500:
            logger.warning("database unavailable (%s: %s) for %s %s; answered 503",
                           type(exc).__name__, str(exc).strip().splitlines()[0] if str(exc).strip() else "",
                           request.method, request.path)
            return unavailable_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        exc = database_error(exception)
        if exc is None:
            return None
        logger.warning("database unavailable (%s: %s) for %s %s; answered 503",
                       type(exc).__name__, str(exc).strip().splitlines()[0] if str(exc).strip() else "",
                       request.method, request.path)
        return unavailable_response(request)
