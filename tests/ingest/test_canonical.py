"""Canonical URLs: the same article under the links feeds, editors and files give is one key."""
import pytest

from ingest.canonical import InvalidURL, canonical_url, clean_url

pytestmark = pytest.mark.smoke


@pytest.mark.parametrize("variant", [
    "https://example.com/news/strike?id=3",
    "HTTP://WWW.Example.COM:80/news/strike?id=3#comments",
    "http://example.com/news/strike?utm_source=rss&utm_medium=feed&id=3",
    "https://www.example.com:443/news/strike?fbclid=abc&id=3&gclid=x",
    "  https://example.com//news/strike?id=3  ",
])
def test_tracking_parameters_fragment_scheme_www_and_port_do_not_make_a_new_article(variant):
    assert canonical_url(variant) == "https://example.com/news/strike?id=3"


def test_remaining_query_parameters_are_sorted_and_kept():
    assert canonical_url("https://ex.com/a?b=2&a=1&utm_campaign=x") == "https://ex.com/a?a=1&b=2"
    assert canonical_url("https://ex.com/a?id=1") != canonical_url("https://ex.com/a?id=2")


def test_arabic_paths_and_hosts_have_one_form():
    encoded = "https://ex.com/%d8%ba%d8%a7%d8%b1%d8%a9"
    assert canonical_url("https://ex.com/غارة") == canonical_url(encoded) == "https://ex.com/%D8%BA%D8%A7%D8%B1%D8%A9"
    assert canonical_url("https://مثال.com/a") == "https://xn--mgbh0fb.com/a"


def test_non_default_ports_and_ip_literals_are_kept():
    assert canonical_url("http://127.0.0.1:8080/x?ref=tw") == "https://127.0.0.1:8080/x"
    assert canonical_url("http://[::1]:8080/x") == "https://[::1]:8080/x"


@pytest.mark.parametrize("bad", ["", "ftp://ex.com/a", "file:///etc/passwd", "javascript:alert(1)", "http://", "http://ex.com:port/"])
def test_what_is_not_an_http_url_is_refused(bad):
    with pytest.raises(InvalidURL):
        canonical_url(bad)


def test_clean_url_keeps_scheme_and_host_but_drops_tracking():
    assert clean_url("HTTP://WWW.ex.com/a?utm_source=x&p=1#top") == "http://www.ex.com/a?p=1"
    assert clean_url("https://ex.com/غارة") == "https://ex.com/%D8%BA%D8%A7%D8%B1%D8%A9"
