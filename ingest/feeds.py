"""RSS and Atom feeds: refused when hostile, parsed with feedparser when not.

A feed document is checked before feedparser sees it:

- over ``max_bytes`` -> refused (the fetcher already stops reading there);
- any ``<!ENTITY`` declaration -> refused. Entity expansion ("billion laughs",
  quadratic blow-up) and external entities need one, and real news feeds never declare
  entities. The check is a byte scan (UTF-8 and UTF-16) plus a full pass of defusedxml's
  expat reader with entities and external references forbidden, so a declaration hidden
  behind an encoding trick is refused as well;
- the bytes are handed to feedparser as a stream, never as a string (feedparser would
  read a string that looks like a path or a URL by itself).

Malformed XML is not refused outright: feedparser's lenient parser often still finds the
entries of a feed with an unescaped ``&``. A malformed document with no entries is a
:class:`FeedError` with the parser's message.

Pure Python, no Django (``fetch_feed`` imports the fetcher, which reads settings).
"""
from __future__ import annotations

import io
import re
import xml.sax
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urljoin

from .text import clean_line, clean_text, normalise_language, parse_datetime

_ENTITY_PATTERNS = tuple(
    re.compile(re.escape("<!ENTITY".encode(enc)), re.I) for enc in ("ascii", "utf-16-le", "utf-16-be")
)
_HTML_TAGS = re.compile(r"<[^>]{0,2000}>")


class FeedError(Exception):
    """The document is not a feed that can be read."""


class FeedRefused(FeedError):
    """The document is hostile or too large and was not parsed."""


@dataclass(slots=True)
class FeedEntry:
    url: str = ""
    title: str = ""
    summary: str = ""  # plain text
    content: str = ""  # plain text of the full content, when the feed carries it
    published: datetime | None = None
    published_date: date | None = None  # the day as written in the feed
    language: str = ""
    guid: str = ""
    author: str = ""


@dataclass(slots=True)
class ParsedFeed:
    title: str = ""
    link: str = ""
    language: str = ""
    entries: list[FeedEntry] = field(default_factory=list)
    warning: str = ""  # what feedparser complained about when it still found entries


def check_document(body: bytes, *, max_bytes: int) -> None:
    """Raise :class:`FeedRefused` for an oversized document or one that declares entities."""
    if len(body) > max_bytes:
        raise FeedRefused(f"feed refused: {len(body)} bytes, over the limit of {max_bytes}")
    for pattern in _ENTITY_PATTERNS:
        if pattern.search(body):
            raise FeedRefused("feed refused: it declares XML entities (entity expansion is not allowed)")
    from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
    from defusedxml.expatreader import create_parser

    parser = create_parser(forbid_dtd=False, forbid_entities=True, forbid_external=True)
    parser.setContentHandler(xml.sax.handler.ContentHandler())
    parser.setFeature(xml.sax.handler.feature_external_ges, False)
    parser.setFeature(xml.sax.handler.feature_external_pes, False)
    source = xml.sax.xmlreader.InputSource()
    source.setByteStream(io.BytesIO(body))
    try:
        parser.parse(source)
    except (EntitiesForbidden, ExternalReferenceForbidden, DTDForbidden) as exc:
        raise FeedRefused(f"feed refused: {exc}") from exc
    except (xml.sax.SAXException, ValueError):
        pass  # malformed: feedparser decides below whether anything can be read


def _plain(value: str | None) -> str:
    """Feed HTML (already sanitised by feedparser) to plain text."""
    if not value:
        return ""
    if "<" in value:
        import html

        value = html.unescape(_HTML_TAGS.sub(" ", re.sub(r"(?i)</p>|<br\s*/?>", "\n\n", value)))
    return clean_text(value)[0]


def _entry_url(entry, base: str) -> str:
    candidates = [entry.get("link")]
    for link in entry.get("links") or []:
        if link.get("rel", "alternate") == "alternate":
            candidates.append(link.get("href"))
    guid = entry.get("id") or ""
    if entry.get("guidislink") or guid.startswith(("http://", "https://")):
        candidates.append(guid)
    for candidate in candidates:
        candidate = (candidate or "").strip()
        if candidate:
            url = urljoin(base, candidate) if base else candidate
            if url.startswith(("http://", "https://")):
                return url
    return ""


def parse_feed(body: bytes, *, url: str = "", content_type: str = "", max_bytes: int = 5 * 1024 * 1024
               ) -> ParsedFeed:
    """The entries of a feed document (see the module docstring for what is refused)."""
    check_document(body, max_bytes=max_bytes)
    import feedparser

    headers = {"content-location": url} if url else {}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers, resolve_relative_uris=True,
                              sanitize_html=True)
    feed = parsed.get("feed", {}) or {}
    warning = ""
    if parsed.get("bozo") and not isinstance(
        parsed.get("bozo_exception"), (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)
    ):
        warning = f"{type(parsed.get('bozo_exception')).__name__}: {parsed.get('bozo_exception')}"[:500]
    if not parsed.get("entries"):
        if warning and not parsed.get("version"):
            raise FeedError(f"not a readable feed: {warning}")
        if not parsed.get("version"):
            raise FeedError("not a feed: no RSS or Atom element found")
    feed_language = normalise_language(feed.get("language"))
    base = feed.get("link") or url
    result = ParsedFeed(title=clean_line(feed.get("title"), 500), link=feed.get("link", ""),
                        language=feed_language, warning=warning)
    for entry in parsed.get("entries", []):
        published, published_date = None, None
        for key in ("published", "updated", "created"):
            if entry.get(key):
                published, published_date = parse_datetime(entry.get(key))
                if published is None and entry.get(f"{key}_parsed"):
                    published, published_date = parse_datetime(entry.get(f"{key}_parsed"))
                if published is not None:
                    break
        language = ""
        for detail in (entry.get("title_detail"), *(entry.get("content") or [])):
            if detail and detail.get("language"):
                language = normalise_language(detail.get("language"))
                break
        content = max((c.get("value", "") for c in entry.get("content") or []), key=len, default="")
        item = FeedEntry(
            url=_entry_url(entry, url or base),
            title=clean_line(_plain(entry.get("title")), 1000),
            summary=_plain(entry.get("summary")),
            content=_plain(content),
            published=published,
            published_date=published_date,
            language=language or feed_language,
            guid=clean_line(entry.get("id"), 200),
            author=clean_line(entry.get("author"), 200),
        )
        if item.url or item.content or item.summary:
            result.entries.append(item)
    if warning and not result.entries:
        raise FeedError(f"not a readable feed: {warning}")
    return result
