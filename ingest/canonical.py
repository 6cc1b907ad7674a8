"""Canonical URLs: one key per article, whatever link a feed, an editor or a file gave.

``canonical_url("HTTP://WWW.Example.com:80/a/b/?utm_source=x&id=3#top")`` is
``"https://example.com/a/b/?id=3"``. The canonical URL is a *key* for deduplication,
never the address that is fetched (the URL as submitted is): so ``http`` and ``https``,
``www.`` or not, map to the same key, tracking parameters and fragments are dropped, the
remaining query parameters are sorted, the host is lower-cased and IDNA-encoded,
default ports are dropped and the path is percent-encoded in one way only.

Pure Python, no Django.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

# Query parameters that identify a campaign, a click or a share, never the article.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "twclid", "igshid", "igsh", "ttclid", "li_fat_id",
    "mc_cid", "mc_eid", "mkt_tok", "_hsenc", "_hsmi", "hsctatracking", "oly_anon_id", "oly_enc_id", "vero_id",
    "vero_conv", "wickedid", "s_cid", "cmpid", "ito", "ncid", "sr_share", "ref", "ref_src", "ref_url", "referrer",
    "smid", "smtyp", "spm", "_ga", "_gl", "xtor", "ocid", "guccounter", "guce_referrer", "guce_referrer_sig",
    "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4",
})
# Deliberately kept: ``id``, ``p``, ``cid``, ``source``, ``from``... some sites put the article's id there, and
# two different articles merged into one would be worse than a duplicate (the content hash catches those).
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hmb_", "__twitter", "_hs")

_DEFAULT_PORTS = {"http": 80, "https": 443}
_PATH_SAFE = "/!$&'()*+,;=:@-._~"
_QUERY_SAFE = "!$'()*,;:@/?-._~"
_MULTI_SLASH = re.compile(r"/{2,}")


class InvalidURL(ValueError):
    """Not an http(s) URL with a host."""


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def normalise_host(host: str) -> str:
    host = host.strip().rstrip(".").lower()
    if not host:
        raise InvalidURL("no host")
    if host.startswith("[") or re.fullmatch(r"[0-9.]+", host):
        return host  # IP literal
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host  # left as is: the fetcher refuses what it cannot resolve


def clean_url(url: str) -> str:
    """The URL as it should be fetched: stripped of whitespace, fragment and tracking parameters.

    Scheme and host are kept (a site may only answer on one of them).
    """
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"malformed URL: {url[:200]!r}") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidURL(f"not an http(s) URL: {url[:200]!r}")
    if not parts.hostname:
        raise InvalidURL(f"no host in URL: {url[:200]!r}")
    host = normalise_host(parts.hostname)
    port = port if port and port != _DEFAULT_PORTS[scheme] else None
    netloc = (f"[{host}]" if ":" in host and not host.startswith("[") else host) + (f":{port}" if port else "")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)]
    path = quote(parts.path or "/", safe=_PATH_SAFE + "%")
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def canonical_url(url: str) -> str:
    """The deduplication key of an article URL (see the module docstring)."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError as exc:  # a port that is not a number, a bad IPv6 literal...
        raise InvalidURL(f"malformed URL: {url[:200]!r}") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidURL(f"not an http(s) URL: {url[:200]!r}")
    if not parts.hostname:
        raise InvalidURL(f"no host in URL: {url[:200]!r}")
    host = normalise_host(parts.hostname)
    if host.startswith("www."):
        host = host[4:]
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    if port and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    path = _MULTI_SLASH.sub("/", parts.path or "/")
    path = quote(unquote(path), safe=_PATH_SAFE)
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)
    )
    query_string = "&".join(
        f"{quote(k, safe=_QUERY_SAFE)}={quote(v, safe=_QUERY_SAFE)}" if v != "" else quote(k, safe=_QUERY_SAFE)
        for k, v in query
    )
    # http and https are one key: feeds still give http links to pages served over https.
    return urlunsplit(("https", host, path, query_string, ""))
