"""The fetcher against a real HTTP server on 127.0.0.1: limits, redirects and refused addresses."""
import gzip
import ipaddress
import time

import pytest

from ingest import fetch as fetch_module
from ingest.fetch import (
    BlockedAddress, FetchTimeout, HTTPStatusError, TooLarge, TooManyRedirects, TransientFetchError,
    UnsupportedContentType, address_problem, fetch,
)
from tests.harness import Response

pytestmark = pytest.mark.smoke
HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture(autouse=True)
def fetch_settings(settings):
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    settings.FETCH_TIMEOUT = 1.0
    settings.FETCH_MAX_BYTES = 10_000
    settings.FETCH_MAX_REDIRECTS = 3
    return settings


def test_a_page_is_fetched_with_a_clear_user_agent_and_without_tracking_parameters(fixture_server, settings):
    url = fixture_server.route("/news/a", Response(body="<p>خبر</p>".encode(), headers=HTML))
    result = fetch(url + "?utm_source=rss&id=7#top")
    assert result.status == 200 and result.body.decode() == "<p>خبر</p>" and result.charset == "utf-8"
    method, path, headers = fixture_server.requests[-1]
    assert path == "/news/a?id=7"
    assert headers["User-Agent"] == settings.FETCH_USER_AGENT and "conflictmap" in headers["User-Agent"]


def test_redirects_are_followed_by_hand_up_to_the_limit(fixture_server):
    for i in range(5):
        fixture_server.route(f"/r{i}", Response(302, headers={"Location": f"/r{i + 1}"}))
    fixture_server.route("/r5", Response(body=b"<p>end</p>", headers=HTML))
    assert fetch(fixture_server.url("/r2")).final_url.endswith("/r5")  # 3 redirects: allowed
    with pytest.raises(TooManyRedirects):
        fetch(fixture_server.url("/r0"))  # 5 redirects
    assert not any(path == "/r5" for _, path, _ in fixture_server.requests[-4:])


def test_a_page_over_the_size_cap_is_refused_unread(fixture_server):
    url = fixture_server.route("/big", Response(body=b"x" * 20_000, headers=HTML))
    with pytest.raises(TooLarge, match="declares 20000 bytes"):
        fetch(url)


def test_a_streamed_page_over_the_size_cap_is_cut_off(fixture_server):
    url = fixture_server.route("/stream", Response(chunks=[b"x" * 4000] * 50, headers=HTML))
    with pytest.raises(TooLarge, match="over the limit"):
        fetch(url)


def test_a_gzip_bomb_is_measured_after_decompression(fixture_server):
    bomb = gzip.compress(b"<p>" + b"a" * 5_000_000 + b"</p>")
    assert len(bomb) < 10_000
    url = fixture_server.route("/bomb", Response(body=bomb, headers={**HTML, "Content-Encoding": "gzip"}))
    with pytest.raises(TooLarge):
        fetch(url)


def test_a_slow_server_times_out(fixture_server):
    url = fixture_server.route("/slow", Response(body=b"late", headers=HTML, delay=5))
    started = time.monotonic()
    with pytest.raises(FetchTimeout) as caught:
        fetch(url)
    assert caught.value.transient
    assert time.monotonic() - started < 3


def test_a_server_that_drips_its_body_hits_the_total_deadline(fixture_server):
    url = fixture_server.route("/drip", Response(chunks=[b"x"] * 40, chunk_delay=0.5, headers=HTML))
    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        fetch(url)
    assert time.monotonic() - started < 8


@pytest.mark.parametrize("target", [
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5/admin",
    "http://192.168.1.1/",
    "http://[::1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://0.0.0.0/",
    "http://2130706433/",  # 127.0.0.1 as one number
    "http://100.100.100.200/",
    "http://224.0.0.1/",
])
def test_a_redirect_to_a_private_address_is_refused(fixture_server, target):
    url = fixture_server.route("/go", Response(302, headers={"Location": target}))
    with pytest.raises(BlockedAddress) as caught:
        fetch(url)
    assert not caught.value.transient


def test_a_hostname_resolving_to_loopback_is_refused_unless_allowed(fixture_server, settings):
    url = fixture_server.route("/page", Response(body=b"<p>ok</p>", headers=HTML))
    by_name = url.replace("127.0.0.1", "localhost")
    before = len(fixture_server.requests)
    with pytest.raises(BlockedAddress, match="localhost resolves to 127.0.0.1, a loopback address"):
        fetch(by_name)
    assert len(fixture_server.requests) == before  # nothing was sent
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["localhost"]
    assert fetch(by_name).body == b"<p>ok</p>"


def test_every_address_a_name_resolves_to_is_checked(fixture_server, monkeypatch):
    monkeypatch.setattr(fetch_module, "resolver", lambda host, port: ["93.184.216.34", "10.1.2.3"])
    with pytest.raises(BlockedAddress, match="10.1.2.3, a private address"):
        fetch("http://news.example/article")


def test_the_connection_goes_to_the_checked_address_no_dns_rebinding(fixture_server, monkeypatch, settings):
    """The name is resolved once per hop and the socket opened to that address: a second,
    different DNS answer (the rebinding trick) is never asked for nor used."""
    answers = iter([["127.0.0.1"], ["169.254.169.254"], ["169.254.169.254"]])
    calls = []

    def rebinding_resolver(host, port):
        calls.append(host)
        return next(answers)

    monkeypatch.setattr(fetch_module, "resolver", rebinding_resolver)
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["rebind.test"]
    fixture_server.route("/a", Response(body=b"<p>pinned</p>", headers=HTML))
    result = fetch(f"http://rebind.test:{fixture_server.port}/a")
    assert result.body == b"<p>pinned</p>" and result.address == "127.0.0.1"
    assert calls == ["rebind.test"]
    assert fixture_server.requests[-1][2]["Host"] == f"rebind.test:{fixture_server.port}"


def test_content_types_are_checked(fixture_server):
    url = fixture_server.route("/img", Response(body=b"\x89PNG", headers={"Content-Type": "image/png"}))
    with pytest.raises(UnsupportedContentType):
        fetch(url)
    feed = fixture_server.route("/feed", Response(body=b"<rss/>", headers={"Content-Type": "application/rss+xml"}))
    assert fetch(feed, kind="feed").body == b"<rss/>"
    with pytest.raises(UnsupportedContentType):
        fetch(feed, kind="page")


def test_5xx_is_transient_and_retried_with_backoff_4xx_is_not(fixture_server):
    calls = []

    def flaky(handler):
        calls.append(time.monotonic())
        return Response(503, b"busy") if len(calls) < 3 else Response(body=b"<p>ok</p>", headers=HTML)

    url = fixture_server.route("/flaky", flaky)
    with pytest.raises(TransientFetchError):
        fetch(url)
    calls.clear()
    assert fetch(url, retries=2, backoff=0.1).body == b"<p>ok</p>"
    assert len(calls) == 3 and calls[2] - calls[1] >= calls[1] - calls[0] >= 0.09  # waits grow
    missing = fixture_server.url("/missing")
    with pytest.raises(HTTPStatusError) as caught:
        fetch(missing, retries=3, backoff=0.1)
    assert not caught.value.transient and caught.value.status == 404


def test_a_conditional_request_can_answer_304(fixture_server):
    url = fixture_server.route("/feed.xml", lambda h: Response(304) if h.headers.get("If-None-Match") == '"v1"'
                               else Response(body=b"<rss/>", headers={"ETag": '"v1"', "Content-Type": "text/xml"}))
    first = fetch(url, kind="feed")
    assert first.etag == '"v1"' and not first.not_modified
    assert fetch(url, kind="feed", headers={"If-None-Match": first.etag}).not_modified


def test_only_http_and_https(fixture_server):
    for url in ("file:///etc/passwd", "ftp://127.0.0.1/", "gopher://127.0.0.1:70/", "javascript:alert(1)"):
        with pytest.raises(fetch_module.FetchError):
            fetch(url)


@pytest.mark.parametrize("address,problem", [
    ("8.8.8.8", None), ("2001:4860:4860::8888", None),
    ("127.0.0.1", "loopback"), ("169.254.169.254", "metadata"), ("fd00:ec2::254", "metadata"), ("10.0.0.1", "private"),
    ("172.16.5.4", "private"), ("100.64.0.1", "non-global"), ("fe80::1", "link-local"), ("ff02::1", "multicast"),
    ("::", "unspecified"), ("::ffff:10.0.0.1", "private"), ("2002:7f00:1::", "loopback"), ("64:ff9b::a00:1", "private"),
    ("240.0.0.1", "address"), ("192.0.2.1", "private"),
])
def test_address_classification(address, problem):
    found = address_problem(ipaddress.ip_address(address))
    assert (found is None) if problem is None else (problem in found), found
