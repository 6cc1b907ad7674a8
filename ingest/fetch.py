"""HTTP fetching for feeds and article pages, safe against hostile URLs.

``fetch(url)`` returns a :class:`FetchResult` or raises a :class:`FetchError` whose
``transient`` flag tells the caller whether trying again later may help (timeouts,
connection errors, 5xx, 429) or not (4xx, refused address, too big, wrong type).

What it guarantees, for every hop of a redirect chain:

- only ``http`` and ``https``; at most ``FETCH_MAX_REDIRECTS`` redirects, followed by
  hand so that each target is checked before anything is sent to it;
- the host name is resolved once, **every** address it resolves to is checked, and the
  connection is opened to the checked address itself (the ``Host`` header and, for
  https, SNI and certificate verification still use the name): a DNS answer that
  changes between the check and the connection (DNS rebinding) cannot redirect us;
- loopback, private (RFC 1918, ULA), link-local (incl. the 169.254.169.254 metadata
  address), multicast, reserved, unspecified, shared (CGNAT) and other non-global
  addresses are refused, also when hidden in IPv4-mapped, 6to4, Teredo or NAT64 IPv6
  addresses, unless the host name is listed in ``FETCH_ALLOWED_PRIVATE_HOSTS``;
- no proxy from the environment is used (a proxy would resolve names itself);
- connect and read timeouts of ``FETCH_TIMEOUT`` seconds and a total deadline per hop,
  so a server that drips bytes cannot hold a worker;
- the body is streamed and refused beyond ``FETCH_MAX_BYTES`` (after decompression: a
  gzip bomb is refused too), and a ``Content-Length`` above it is refused unread;
- a clear ``User-Agent`` and a check of the ``Content-Type`` against what is expected.
"""
from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable
from urllib.parse import urljoin, urlsplit

import certifi
import urllib3
from django.conf import settings
from urllib3.exceptions import HTTPError as Urllib3HTTPError
from urllib3.exceptions import ProtocolError, ReadTimeoutError, SSLError
from urllib3.exceptions import TimeoutError as Urllib3TimeoutError

from .canonical import InvalidURL, clean_url

PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
FEED_TYPES = frozenset({
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml",
    "application/x-rss+xml", "application/x-atom+xml", "application/feed+json", "application/json",
    # Servers that label their feeds wrongly are common; the feed parser decides.
    "text/html", "text/plain", "application/octet-stream",
})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
TRANSIENT_STATUSES = frozenset({408, 425, 429})
METADATA_ADDRESSES = frozenset({
    ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
    ipaddress.ip_address("100.100.100.200"), ipaddress.ip_address("169.254.170.2"),
})
NAT64 = ipaddress.ip_network("64:ff9b::/96")
CHUNK = 64 * 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class FetchError(Exception):
    """A fetch that failed; ``transient`` says whether a retry later may succeed."""

    transient = False

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class TransientFetchError(FetchError):
    transient = True


class FetchTimeout(TransientFetchError):
    pass


class BlockedAddress(FetchError):
    """The URL leads to an address that must not be fetched (private, loopback, metadata...)."""


class TooLarge(FetchError):
    pass


class UnsupportedContentType(FetchError):
    pass


class TooManyRedirects(FetchError):
    pass


class HTTPStatusError(FetchError):
    pass


@dataclass
class FetchResult:
    url: str  # as requested
    final_url: str  # after redirects
    status: int  # 2xx, or 304 for a conditional request whose answer has not changed
    headers: dict[str, str]  # lower-cased names
    body: bytes
    content_type: str = ""  # the media type alone, lower-cased
    charset: str | None = None  # as declared in Content-Type
    redirects: list[str] = field(default_factory=list)
    address: str = ""  # the IP address the last hop connected to
    elapsed: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str:
        return self.headers.get("etag", "")

    @property
    def last_modified(self) -> str:
        return self.headers.get("last-modified", "")


# --- Addresses ----------------------------------------------------------------------
def address_problem(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be fetched, or None for a public unicast address."""
    embedded: IPAddress | None = None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            embedded = ip.ipv4_mapped
        elif ip.sixtofour:
            embedded = ip.sixtofour
        elif ip.teredo:
            embedded = ip.teredo[1]
        elif ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if embedded is not None:
        inner = address_problem(embedded)
        if inner:
            return f"{inner} (embedded in {ip})"
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_private:
        return "a private address"
    if ip.is_reserved:
        return "a reserved address"
    if not ip.is_global:
        return "a non-global address"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    seen: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = sockaddr[0].split("%")[0]  # drop an IPv6 zone id
        if address not in seen:
            seen.append(address)
    return seen


# Tests replace this to simulate DNS answers (``monkeypatch.setattr(fetch, "resolver", ...)``).
resolver: Resolver = system_resolver


def allowed_private_hosts() -> set[str]:
    return {h.strip().lower().strip("[]") for h in getattr(settings, "FETCH_ALLOWED_PRIVATE_HOSTS", []) if h.strip()}


def resolve_checked(host: str, port: int, *, url: str = "") -> str:
    """Resolve ``host`` once, check every address, return the one to connect to."""
    host = host.lower().strip("[]")
    try:
        addresses = resolver(host, port)
    except (socket.gaierror, UnicodeError) as exc:
        # A name that does not resolve now may resolve later (a DNS outage), but usually not.
        raise FetchError(f"cannot resolve host {host!r}: {exc}", url=url) from exc
    except OSError as exc:
        raise TransientFetchError(f"cannot resolve host {host!r}: {exc}", url=url) from exc
    if not addresses:
        raise FetchError(f"host {host!r} has no address", url=url)
    parsed = []
    for address in addresses:
        try:
            parsed.append(ipaddress.ip_address(address))
        except ValueError as exc:
            raise BlockedAddress(f"refused: {host!r} resolved to an invalid address {address!r}", url=url) from exc
    if host not in allowed_private_hosts():
        for ip in parsed:
            problem = address_problem(ip)
            if problem:
                shown = f"{host} resolves to {ip}" if str(ip) != host else str(ip)
                raise BlockedAddress(f"refused to fetch {url or host}: {shown}, {problem}", url=url)
    return str(parsed[0])


# --- Fetching -----------------------------------------------------------------------
def _split(url: str) -> tuple[str, str, int, str, str]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"refused: only http and https URLs are fetched, not {scheme or 'this'}: {url[:200]}", url=url)
    if parts.username or parts.password:
        raise FetchError(f"refused: URLs with credentials are not fetched: {url[:200]}", url=url)
    host = parts.hostname
    if not host:
        raise FetchError(f"no host in URL {url[:200]}", url=url)
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise FetchError(f"bad port in URL {url[:200]}", url=url) from exc
    host_header = parts.netloc.rsplit("@", 1)[-1]
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port, host_header, target


def _media_type(value: str) -> tuple[str, str | None]:
    media, _, params = (value or "").partition(";")
    charset = None
    for param in params.split(";"):
        name, _, val = param.strip().partition("=")
        if name.strip().lower() == "charset" and val.strip():
            charset = val.strip().strip("'\"").lower()
    return media.strip().lower(), charset


def _one_hop(url: str, headers: dict[str, str], *, timeout: float, max_bytes: int, accept: Iterable[str] | None
             ) -> tuple[int, dict[str, str], bytes, str]:
    scheme, host, port, host_header, target = _split(url)
    address = resolve_checked(host, port, url=url)
    kwargs = {"timeout": urllib3.Timeout(connect=timeout, read=timeout), "retries": False, "maxsize": 1}
    if scheme == "https":
        pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
            address, port, cert_reqs="CERT_REQUIRED", ca_certs=certifi.where(),
            server_hostname=host, assert_hostname=host, **kwargs,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, **kwargs)
    deadline = time.monotonic() + timeout * 4
    try:
        response = pool.urlopen(
            "GET", target, headers={**headers, "Host": host_header}, redirect=False, retries=False,
            preload_content=False, decode_content=True, assert_same_host=False,
        )
        try:
            status = response.status
            response_headers = {k.lower(): v for k, v in response.headers.items()}
            if status in REDIRECT_STATUSES or status == 304 or status >= 400:
                return status, response_headers, b"", address
            media, _ = _media_type(response_headers.get("content-type", ""))
            if accept is not None and media and media not in accept:
                raise UnsupportedContentType(f"unsupported content type {media!r} at {url}", url=url, status=status)
            declared = response_headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise TooLarge(f"too large: {url} declares {int(declared)} bytes, the limit is {max_bytes}", url=url,
                               status=status)
            chunks, size = [], 0
            for chunk in response.stream(CHUNK, decode_content=True):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"too large: {url} is over the limit of {max_bytes} bytes", url=url, status=status)
                if time.monotonic() > deadline:
                    raise FetchTimeout(f"timeout: {url} took more than {timeout * 4:g}s to send its body", url=url)
                chunks.append(chunk)
            return status, response_headers, b"".join(chunks), address
        finally:
            response.release_conn()
            response.close()
    except (ReadTimeoutError, Urllib3TimeoutError, socket.timeout) as exc:
        raise FetchTimeout(f"timeout: no answer from {url} within {timeout:g}s", url=url) from exc
    except SSLError as exc:
        raise FetchError(f"TLS error with {url}: {exc}", url=url) from exc
    except (ProtocolError, ConnectionError) as exc:
        raise TransientFetchError(f"connection error with {url}: {exc}", url=url) from exc
    except Urllib3HTTPError as exc:
        if "decod" in str(exc).lower():
            raise FetchError(f"cannot decode the body of {url}: {exc}", url=url) from exc
        raise TransientFetchError(f"HTTP error with {url}: {exc}", url=url) from exc
    finally:
        pool.close()


def fetch(url: str, *, kind: str = "page", headers: dict[str, str] | None = None, timeout: float | None = None,
          max_bytes: int | None = None, max_redirects: int | None = None, retries: int = 0,
          backoff: float = 1.0) -> FetchResult:
    """GET ``url`` (see the module docstring). ``kind`` is "page", "feed" or "any" (no type check).

    ``retries`` tries again that many times after a transient error, waiting ``backoff``,
    then twice as long... (the Celery tasks retry by themselves and leave this at 0).
    """
    attempt = 0
    while True:
        try:
            return _fetch_once(url, kind=kind, headers=headers, timeout=timeout, max_bytes=max_bytes,
                               max_redirects=max_redirects)
        except FetchError as exc:
            if not exc.transient or attempt >= retries:
                raise
            time.sleep(backoff * (2 ** attempt))
            attempt += 1


def _fetch_once(url: str, *, kind: str, headers: dict[str, str] | None, timeout: float | None,
                max_bytes: int | None, max_redirects: int | None) -> FetchResult:
    timeout = float(timeout if timeout is not None else settings.FETCH_TIMEOUT)
    max_bytes = int(max_bytes if max_bytes is not None else settings.FETCH_MAX_BYTES)
    max_redirects = int(max_redirects if max_redirects is not None else settings.FETCH_MAX_REDIRECTS)
    accept = {"page": PAGE_TYPES, "feed": FEED_TYPES}.get(kind)
    request_headers = {
        "User-Agent": settings.FETCH_USER_AGENT,
        "Accept": ("application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
                   if kind == "feed" else "text/html, application/xhtml+xml;q=0.9, text/plain;q=0.8, */*;q=0.5"),
        "Accept-Encoding": "gzip, deflate",
        "Accept-Language": "ar, en;q=0.9, *;q=0.5",
        **(headers or {}),
    }
    started = time.monotonic()
    try:
        current = clean_url(url)
    except InvalidURL as exc:
        raise FetchError(f"refused: {exc}", url=url) from exc
    redirects: list[str] = []
    while True:
        status, response_headers, body, address = _one_hop(
            current, request_headers, timeout=timeout, max_bytes=max_bytes, accept=accept
        )
        if status in REDIRECT_STATUSES:
            location = response_headers.get("location", "").strip()
            if not location:
                raise FetchError(f"redirect without a Location from {current}", url=url, status=status)
            if len(redirects) >= max_redirects:
                raise TooManyRedirects(f"too many redirects (more than {max_redirects}) from {url}", url=url,
                                       status=status)
            try:
                current = clean_url(urljoin(current, location))
            except InvalidURL as exc:
                raise FetchError(f"refused redirect from {redirects[-1] if redirects else url}: {exc}",
                                 url=url, status=status) from exc
            redirects.append(current)
            continue
        if status == 304:
            break
        if status >= 500 or status in TRANSIENT_STATUSES:
            raise TransientFetchError(f"HTTP {status} from {current}", url=url, status=status)
        if status >= 400:
            raise HTTPStatusError(f"HTTP {status} from {current}", url=url, status=status)
        if status < 200 or status >= 300:
            raise FetchError(f"unexpected HTTP status {status} from {current}", url=url, status=status)
        break
    media, charset = _media_type(response_headers.get("content-type", ""))
    return FetchResult(
        url=url, final_url=current, status=status, headers=response_headers, body=body, content_type=media,
        charset=charset, redirects=redirects, address=address, elapsed=time.monotonic() - started,
    )
