"""The client's address, the same way for login limits (django-axes) and API throttles (DRF).

Behind ``NUM_PROXIES`` trusted reverse proxies, the client is the address the outermost
trusted proxy saw: counted from the right of X-Forwarded-For, so a made-up header sent
by the client itself (on the left) changes nothing. With no proxy, REMOTE_ADDR.
"""
from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    return hops[-min(proxies, len(hops))] if hops else remote
