"""Bytes to text, HTML to an article's text and metadata, language, content hash.

Nothing here raises on bad input: invalid bytes are replaced (and reported, so the
Article records ``decode_errors``), a page trafilatura cannot read falls back to the
visible text of its body, a date that cannot be parsed is None. Text comes out NFC,
without NUL or other control characters (PostgreSQL refuses NUL in text), with lone
surrogates replaced and whitespace tidied.

Pure Python, no Django.
"""
from __future__ import annotations

import codecs
import hashlib
import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from email.utils import parsedate_to_datetime

log = logging.getLogger(__name__)

# --- Decoding -------------------------------------------------------------------------
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]{1,40})""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([a-zA-Z0-9_.:-]{1,40})["']""", re.I)
# Encodings Arabic and English news actually come in, tried when the bytes are not UTF-8.
_LEGACY = ("windows-1256", "iso-8859-6", "windows-1252", "iso-8859-1")
_SCORE_SAMPLE = 200_000


@dataclass(slots=True)
class Decoded:
    text: str
    encoding: str
    errors: bool  # True when invalid bytes were replaced


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("'\"")).name
    except (LookupError, ValueError):
        return None


def sniff_declared_charset(body: bytes) -> str | None:
    """The charset an HTML ``<meta>`` or an XML declaration names in the first 4 KB."""
    head = body[:4096]
    match = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii", "replace") if match else None


def _plausibility(text: str) -> float:
    """Share of the non-ASCII characters that belong in Arabic or English news (1.0 if none)."""
    sample = text[:_SCORE_SAMPLE]
    total = good = 0.0
    for ch in sample:
        o = ord(ch)
        if o < 128:
            continue
        total += 1
        if 0x600 <= o <= 0x6FF or 0x750 <= o <= 0x77F or 0xFB50 <= o <= 0xFDFF or 0xFE70 <= o <= 0xFEFF:
            good += 1  # Arabic
        elif 0x2000 <= o <= 0x206F or o in (0xA0, 0xAB, 0xBB, 0xB0, 0xA9, 0xAE, 0x20AC, 0xD7):
            good += 1  # punctuation, spaces, quotes, the few symbols news uses
        elif 0xC0 <= o <= 0x17F and ch.isalpha():
            good += 0.5  # accented Latin: names, French... but also mojibake
        elif o == 0xFFFD:
            good -= 1
    return 1.0 if total == 0 else good / total


def decode(body: bytes, declared: str | None = None, *, sniff: bool = True) -> Decoded:
    """Decode ``body`` whatever it claims: a BOM wins, then valid UTF-8 (which no other
    encoding produces by chance, so a page labelled ISO-8859-1 that is really UTF-8 is
    read right), then whichever of the declared charsets and the usual legacy encodings
    gives the most plausible text (so Windows-1256 Arabic labelled UTF-8 or Latin-1 is
    read right too), and last UTF-8 with invalid bytes replaced (``errors=True``).
    """
    if not body:
        return Decoded("", "utf-8", False)
    for bom, name in _BOMS:
        if body.startswith(bom):
            text = body[len(bom):].decode(name, errors="replace")
            return Decoded(text, name, "\ufffd" in text)
    declared_codec = _codec(declared)
    if declared_codec in ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"):
        try:
            return Decoded(body.decode(declared_codec), declared_codec, False)
        except UnicodeDecodeError:
            pass
    try:
        return Decoded(body.decode("utf-8"), "utf-8", False)
    except UnicodeDecodeError:
        pass
    replaced = body.decode("utf-8", errors="replace")
    non_ascii = sum(1 for ch in replaced if ord(ch) > 127)
    # Mostly UTF-8 with a few broken bytes (a truncated character, a stray byte) stays UTF-8:
    # a legacy decoding would turn all of it into plausible-looking nonsense instead.
    if replaced.count("\ufffd") <= max(1, non_ascii // 10):
        return Decoded(replaced, "utf-8", True)
    candidates: list[str] = []
    for name in (declared_codec, _codec(sniff_declared_charset(body)) if sniff else None, *_LEGACY):
        if name and name not in candidates and name != "utf-8" and not name.startswith(("utf-16", "utf-32")):
            candidates.append(name)
    best: tuple[float, int, Decoded] | None = None
    for rank, name in enumerate(candidates):
        try:
            text = body.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        score = (_plausibility(text), -rank)
        if best is None or score > best[:2]:
            best = (*score, Decoded(text, name, False))
    if best is None or best[0] < 0.5:  # nothing reads as Arabic or English: keep UTF-8, say it is broken
        return Decoded(replaced, "utf-8", True)
    return best[2]


# --- Cleaning -------------------------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff\ufffe\uffff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def clean_text(text: str | None) -> tuple[str, bool]:
    """NFC, no control characters, lone surrogates replaced, whitespace tidied.

    Returns the text and whether something invalid (a surrogate) had to be replaced.
    """
    if not text:
        return "", False
    bad = bool(_SURROGATE.search(text))
    if bad:
        text = _SURROGATE.sub("\ufffd", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = _CONTROL.sub("", text)
    text = unicodedata.normalize("NFC", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()
    return text, bad


def clean_line(text: str | None, max_length: int | None = None) -> str:
    """A title or a name: one line, cleaned."""
    cleaned, _ = clean_text(text)
    cleaned = " ".join(cleaned.split())
    return cleaned[:max_length] if max_length else cleaned


# --- Hashing --------------------------------------------------------------------------
_ARABIC_MARKS = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")  # harakat, tatweel
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def hash_key(text: str) -> str:
    """The text reduced to what makes it the same article: no case, vowel marks, punctuation or spacing."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = _ARABIC_MARKS.sub("", text)
    return " ".join(_NON_WORD.sub(" ", text).split())


def content_hash(text: str) -> str | None:
    """SHA-256 of :func:`hash_key`, or None when there is no text to compare."""
    key = hash_key(text)
    return hashlib.sha256(key.encode("utf-8")).hexdigest() if key else None


# --- Language -------------------------------------------------------------------------
_LANGS = ["ar", "en", "fa", "ur", "ps", "ku", "tr", "he", "fr", "de", "es", "ru"]
_ARABIC_SCRIPT_LANGS = {"ar", "fa", "ur", "ps", "ku"}
_identifier = None
_identifier_lock = threading.Lock()


def _get_identifier():
    global _identifier
    with _identifier_lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            ident.set_languages(_LANGS)
            _identifier = ident
    return _identifier


def normalise_language(value: str | None) -> str:
    """``"en-US"``, ``"ar_SY"``, ``"Arabic"`` -> ``"en"``, ``"ar"``, ``"ar"``; empty when unknown."""
    value = (value or "").strip().lower().replace("_", "-")
    if not value:
        return ""
    names = {"arabic": "ar", "english": "en", "العربية": "ar", "عربي": "ar", "persian": "fa", "farsi": "fa",
             "kurdish": "ku", "turkish": "tr", "hebrew": "he", "french": "fr"}
    if value in names:
        return names[value]
    primary = value.split("-")[0]
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else ""


def detect_language(text: str) -> str:
    """ISO 639-1 code of ``text`` ("ar", "en"...), or "" when there is too little to tell."""
    sample = (text or "")[:5000]
    letters = [ch for ch in sample if ch.isalpha()]
    if len(letters) < 3:
        return ""
    arabic = sum(1 for ch in letters if "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f"
                 or "\ufb50" <= ch <= "\ufeff")
    latin = sum(1 for ch in letters if ch.isascii() or "\u00c0" <= ch <= "\u024f")
    lang, _confidence = _get_identifier().classify(sample)
    if arabic > latin:
        return lang if lang in _ARABIC_SCRIPT_LANGS else "ar"
    if latin and lang in _ARABIC_SCRIPT_LANGS:
        return "en"
    return lang


# --- Dates ----------------------------------------------------------------------------
def parse_datetime(value) -> tuple[datetime | None, date | None]:
    """(aware UTC datetime, the calendar date as written) from ISO 8601, RFC 2822, a date or a struct_time.

    The date as written is kept because "today" in an article means the outlet's day, which
    a conversion to UTC can move by one.
    """
    if value is None or value == "":
        return None, None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc), value.date()
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=timezone.utc), value
    if hasattr(value, "tm_year"):  # time.struct_time from feedparser (already UTC)
        try:
            moment = datetime(*value[:6], tzinfo=timezone.utc)
            return moment, moment.date()
        except (TypeError, ValueError):
            return None, None
    text = str(value).strip()
    if not text:
        return None, None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None, None
        return datetime.combine(day, time(0, 0), tzinfo=timezone.utc), day
    candidates = [text.replace("Z", "+00:00") if text.endswith("Z") else text]
    for candidate in candidates:
        try:
            moment = datetime.fromisoformat(candidate)
            break
        except ValueError:
            moment = None
    if moment is None:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            moment = None
    if moment is None:
        try:
            import dateparser

            moment = dateparser.parse(text, settings={"RETURN_AS_TIMEZONE_AWARE": False, "STRICT_PARSING": True,
                                                      "PREFER_DAY_OF_MONTH": "first"}, languages=["en", "ar"])
        except Exception:  # dateparser raises many kinds of errors on junk
            moment = None
    if moment is None or not (1900 <= moment.year <= 2200):
        return None, None
    local_day = moment.date()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc), local_day


# --- HTML -----------------------------------------------------------------------------
@dataclass(slots=True)
class Page:
    title: str = ""
    text: str = ""
    published: datetime | None = None
    published_date: date | None = None
    language: str = ""  # from the page's metadata ("" when it says nothing)
    canonical_link: str = ""
    description: str = ""
    site_name: str = ""
    decode_errors: bool = False


_DROP_TAGS = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "svg",
              "iframe", "button", "select", "menu")


def _html_tree(html: str):
    import lxml.html

    try:
        return lxml.html.document_fromstring(html)
    except (ValueError, TypeError):  # an XML declaration with an encoding in a str, or other junk
        try:
            return lxml.html.document_fromstring(html.encode("utf-8"))
        except Exception:
            return None
    except Exception:  # lxml.etree.ParserError on empty documents
        return None


def _first(tree, xpath: str) -> str:
    try:
        values = tree.xpath(xpath)
    except Exception:
        return ""
    for value in values:
        value = str(value).strip()
        if value:
            return value
    return ""


def _page_metadata(tree) -> dict[str, str]:
    meta = lambda *names: _first(tree, " | ".join(  # noqa: E731
        f"//meta[@property='{n}']/@content | //meta[@name='{n}']/@content | //meta[@itemprop='{n}']/@content"
        for n in names))
    return {
        "language": (_first(tree, "/html/@lang | /html/@xml:lang")
                     or _first(tree, "//meta[translate(@http-equiv,'CONTENT-LANGUAGE','content-language')"
                                     "='content-language']/@content")
                     or meta("og:locale", "language", "dc.language", "DC.language")),
        "published": (meta("article:published_time", "datePublished", "pubdate", "publishdate", "date",
                           "dc.date", "DC.date.issued", "og:published_time", "sailthru.date")
                      or _first(tree, "//time[@datetime][1]/@datetime")),
        "title": meta("og:title", "twitter:title") or _first(tree, "//title/text()"),
        "canonical": _first(tree, "//link[@rel='canonical']/@href"),
        "site_name": meta("og:site_name", "application-name"),
        "description": meta("og:description", "description"),
    }


def _visible_text(tree) -> str:
    for element in tree.xpath("|".join(f"//{t}" for t in _DROP_TAGS)):
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)
    body = tree.find("body")
    root = body if body is not None else tree
    blocks = []
    for element in root.iter("p", "h1", "h2", "h3", "h4", "li", "blockquote", "pre", "td"):
        text = " ".join(element.text_content().split())
        if text:
            blocks.append(text)
    return "\n\n".join(blocks) if blocks else " ".join(root.text_content().split())


def page_from_html(html: str, *, url: str | None = None) -> Page:
    """Title, text, date and language of an article page; boilerplate (menus, comments, footers) left out."""
    page = Page()
    if not html or not html.strip():
        return page
    html, page.decode_errors = clean_text_keep_layout(html)
    tree = _html_tree(html)
    metadata = _page_metadata(tree) if tree is not None else {}
    extracted = None
    try:
        import trafilatura

        extracted = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=False,
            include_images=False, include_links=False, deduplicate=False,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception:  # trafilatura must never take the ingestion down
        log.warning("trafilatura failed on %s", url or "a page", exc_info=True)
    text = title = ""
    extracted_date = None
    if extracted is not None:
        data = extracted.as_dict() if hasattr(extracted, "as_dict") else dict(extracted)
        text = data.get("text") or ""
        title = data.get("title") or ""
        extracted_date = data.get("date")
        page.site_name = data.get("sitename") or ""
        page.description = data.get("description") or ""
    if not text.strip() and tree is not None:
        text = _visible_text(tree)
    page.title = clean_line(title or metadata.get("title", ""), 1000)
    text, _ = clean_text(text)
    # trafilatura starts the text with the headline; the title is kept apart.
    first_line, _, rest = text.partition("\n")
    if page.title and clean_line(first_line) == page.title and rest.strip():
        text = rest.strip()
    page.text = text
    page.language = normalise_language(metadata.get("language"))
    page.published, page.published_date = parse_datetime(metadata.get("published"))
    if page.published is None and extracted_date:
        page.published, page.published_date = parse_datetime(extracted_date)
    page.canonical_link = metadata.get("canonical", "")[:2000]
    page.site_name = clean_line(page.site_name or metadata.get("site_name", ""), 200)
    page.description = clean_line(page.description or metadata.get("description", ""), 2000)
    return page


def clean_text_keep_layout(text: str) -> tuple[str, bool]:
    """Control characters and surrogates out, nothing else touched (for markup)."""
    bad = bool(_SURROGATE.search(text))
    if bad:
        text = _SURROGATE.sub("\ufffd", text)
    return _CONTROL.sub("", text), bad


def text_from_plain(text: str) -> tuple[str, str]:
    """(title, body) of a plain-text article: the first line is the title when it looks like one."""
    cleaned, _ = clean_text(text)
    first, _, rest = cleaned.partition("\n")
    if rest.strip() and len(first) <= 300:
        return clean_line(first), rest.strip()
    return "", cleaned
