"""Feed documents: entries read, hostile documents refused before parsing."""
import time

import pytest

from ingest.feeds import FeedError, FeedRefused, parse_feed
from tests.ingest.conftest import fixture_bytes

pytestmark = pytest.mark.smoke
BASE = b"http://127.0.0.1:8000"


def feed(name: str) -> bytes:
    return fixture_bytes(name).replace(b"{base}", BASE)


def test_rss_entries_with_absolute_links_dates_and_languages():
    parsed = parse_feed(feed("feed-rss.xml"), url="http://127.0.0.1:8000/feed.xml")
    assert parsed.title == "Fixture News: Middle East" and parsed.language == "en"
    assert [e.guid for e in parsed.entries] == ["fixture-1", "fixture-2", "fixture-3"]
    first = parsed.entries[0]
    assert first.url == "http://127.0.0.1:8000/news/drone-attack?utm_source=rss&utm_medium=feed"
    assert first.summary == "A drone attack targeted a base."
    assert first.published.isoformat() == "2024-03-02T06:30:00+00:00"
    assert first.published_date.isoformat() == "2024-03-02"
    assert parsed.entries[1].title == "قصف مدفعي على ريف إدلب"


def test_atom_relative_links_are_resolved_and_xml_lang_read():
    parsed = parse_feed(feed("feed-atom.xml"), url="http://127.0.0.1:8000/atom.xml")
    (entry,) = parsed.entries
    assert entry.url == "http://127.0.0.1:8000/ar/strike-abu-kamal"
    assert entry.language == "ar"
    assert entry.published_date.isoformat() == "2024-03-02"  # as written (+03:00), not the UTC day before


@pytest.mark.parametrize("name", ["feed-billion-laughs.xml", "feed-external-entity.xml", "feed-parameter-entity.xml"])
def test_entity_declarations_are_refused_before_parsing(name):
    started = time.monotonic()
    with pytest.raises(FeedRefused, match="entit"):
        parse_feed(feed(name))
    assert time.monotonic() - started < 1.0


def test_billion_laughs_in_utf16_is_refused_too():
    text = feed("feed-billion-laughs.xml").decode("utf-8").replace('encoding="utf-8"', 'encoding="utf-16"')
    with pytest.raises(FeedRefused):
        parse_feed(text.encode("utf-16"))


def test_an_oversized_document_is_refused():
    body = feed("feed-rss.xml")
    with pytest.raises(FeedRefused, match="over the limit"):
        parse_feed(body, max_bytes=len(body) - 1)


def test_malformed_xml_without_entries_is_an_error():
    with pytest.raises(FeedError, match="not a readable feed|not a feed"):
        parse_feed(feed("feed-malformed.xml"))


def test_recoverable_malformed_feed_still_gives_its_entries_with_a_warning():
    parsed = parse_feed(feed("feed-recoverable.xml"))
    assert [e.url for e in parsed.entries] == ["http://127.0.0.1:8000/news/dhiban-clashes"]
    assert parsed.warning


@pytest.mark.parametrize("junk", [b"", b"<html><body>not a feed</body></html>", b"/etc/passwd", b"\x00\xff\x00",
                                  b"http://169.254.169.254/latest/meta-data/"])
def test_not_a_feed(junk):
    with pytest.raises(FeedError):
        parse_feed(junk)
