"""Articles from files: ``.txt``, ``.html``, ``.json``, ``.jsonl``, folders of them, gzip of any.

``iter_records(paths)`` yields a :class:`FileRecord` for every article found and a
:class:`FileProblem` for everything that could not be read (with the file, the line and
the reason), and never raises on bad content: one broken line does not stop a folder.

JSON records (an object, a list of objects, ``{"articles": [...]}``, or one object per
line) use the fields ``id, title, text, published, language, url, outlet``; ``body`` or
``content`` are read as ``text``, ``date`` as ``published``, ``source`` as ``outlet``.
Other scalar fields and a ``metadata`` object are kept in the Article's metadata.

Pure Python, no Django.
"""
from __future__ import annotations

import gzip
import json
import os
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Iterable, Iterator

from .text import clean_line, decode, normalise_language, page_from_html, parse_datetime, text_from_plain

TEXT_SUFFIXES = {".txt", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES
MAX_FILE_BYTES = 50 * 1024 * 1024  # for the formats read whole (after decompression)
MAX_LINE_BYTES = 10 * 1024 * 1024
_KNOWN = {"id", "title", "text", "body", "content", "published", "date", "language", "lang", "url", "link", "outlet",
          "source", "metadata"}


@dataclass(slots=True)
class FileRecord:
    where: str  # "path" or "path:line"
    text: str = ""
    title: str = ""
    url: str = ""
    published: datetime | None = None
    published_date: date | None = None
    language: str = ""
    outlet: str = ""
    external_id: str = ""
    metadata: dict = field(default_factory=dict)
    decode_errors: bool = False


@dataclass(slots=True)
class FileProblem:
    where: str
    reason: str


Item = FileRecord | FileProblem


def inner_suffix(path: Path) -> tuple[str, bool]:
    """(".json", True) for ``a.json.gz``; (".json", False) for ``a.json``."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        return (suffixes[-2] if len(suffixes) > 1 else ""), True
    return (suffixes[-1] if suffixes else ""), False


def iter_paths(paths: Iterable[str | os.PathLike]) -> Iterator[Path | FileProblem]:
    """Files under ``paths`` (folders walked in sorted order, hidden files skipped)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.startswith("."):
                        continue
                    child = Path(root) / name
                    suffix, _ = inner_suffix(child)
                    if suffix in SUPPORTED:
                        yield child
        elif path.is_file():
            yield path
        else:
            yield FileProblem(str(path), "no such file or folder")


def _read_whole(path: Path, compressed: bool) -> bytes:
    opener = gzip.open if compressed else open
    with opener(path, "rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"larger than {MAX_FILE_BYTES} bytes")
    return data


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "\n\n".join(_text(v) for v in value)
    return str(value)


def record_from_dict(data: dict, where: str) -> Item:
    if not isinstance(data, dict):
        return FileProblem(where, f"expected a JSON object, found {type(data).__name__}")
    text = _text(data.get("text") or data.get("body") or data.get("content"))
    url = _text(data.get("url") or data.get("link")).strip()
    if not text.strip() and not url:
        return FileProblem(where, "no text and no URL")
    published, published_date = parse_datetime(data.get("published") or data.get("date"))
    metadata = {k: v for k, v in data.items() if k not in _KNOWN and (v is None or isinstance(v, (str, int, float, bool)))}
    if isinstance(data.get("metadata"), dict):
        metadata.update(data["metadata"])
    raw_published = data.get("published") or data.get("date")
    if raw_published and published is None:
        metadata["unparsed_published"] = str(raw_published)[:100]
    return FileRecord(
        where=where, text=text, title=clean_line(_text(data.get("title")), 1000), url=url,
        published=published, published_date=published_date,
        language=normalise_language(_text(data.get("language") or data.get("lang"))),
        outlet=clean_line(_text(data.get("outlet") or data.get("source")), 200),
        external_id=clean_line(_text(data.get("id")), 200), metadata=metadata,
    )


def _json_records(data, where: str) -> Iterator[Item]:
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    if isinstance(data, list):
        for index, item in enumerate(data):
            yield record_from_dict(item, f"{where}[{index}]")
    else:
        yield record_from_dict(data, where)


def _loads(raw: bytes) -> tuple[object, bool]:
    decoded = decode(raw, None, sniff=False)
    return json.loads(decoded.text), decoded.errors


def read_file(path: Path) -> Iterator[Item]:
    where = str(path)
    suffix, compressed = inner_suffix(path)
    if suffix not in SUPPORTED:
        yield FileProblem(where, f"unsupported file type {suffix or '(none)'}: use .txt, .html, .json or .jsonl")
        return
    try:
        if suffix in JSONL_SUFFIXES:
            opener = gzip.open if compressed else open
            with opener(path, "rb") as handle:
                for number, line in enumerate(iter(lambda: handle.readline(MAX_LINE_BYTES + 1), b""), start=1):
                    if len(line) > MAX_LINE_BYTES:
                        yield FileProblem(f"{where}:{number}", f"line longer than {MAX_LINE_BYTES} bytes")
                        while not line.endswith(b"\n"):  # skip the rest of that line, a piece at a time
                            line = handle.readline(MAX_LINE_BYTES)
                            if not line:
                                break
                        continue
                    if not line.strip():
                        continue
                    try:
                        data, errors = _loads(line)
                    except ValueError as exc:
                        yield FileProblem(f"{where}:{number}", f"invalid JSON: {exc}")
                        continue
                    for item in _json_records(data, f"{where}:{number}"):
                        if isinstance(item, FileRecord):
                            item.decode_errors = item.decode_errors or errors
                        yield item
            return
        raw = _read_whole(path, compressed)
        if suffix in JSON_SUFFIXES:
            try:
                data, errors = _loads(raw)
            except ValueError as exc:
                yield FileProblem(where, f"invalid JSON: {exc}")
                return
            for item in _json_records(data, where):
                if isinstance(item, FileRecord):
                    item.decode_errors = item.decode_errors or errors
                yield item
        elif suffix in HTML_SUFFIXES:
            decoded = decode(raw)
            page = page_from_html(decoded.text)
            if not page.text:
                yield FileProblem(where, "no article text found in the HTML")
                return
            yield FileRecord(
                where=where, text=page.text, title=page.title or path.stem, url=page.canonical_link,
                published=page.published, published_date=page.published_date, language=page.language,
                outlet=page.site_name, external_id=path.name, decode_errors=decoded.errors or page.decode_errors,
            )
        else:
            decoded = decode(raw, sniff=False)
            title, body = text_from_plain(decoded.text)
            if not body:
                yield FileProblem(where, "empty text file")
                return
            yield FileRecord(where=where, text=body, title=title or path.stem, external_id=path.name,
                             decode_errors=decoded.errors)
    except (OSError, EOFError, zlib.error, ValueError) as exc:  # unreadable, truncated gzip, too large
        yield FileProblem(where, f"cannot read: {exc}")


def iter_records(paths: Iterable[str | os.PathLike]) -> Iterator[Item]:
    """Every article in ``paths`` (files and folders), and every problem met on the way."""
    for path in iter_paths(paths):
        if isinstance(path, FileProblem):
            yield path
        else:
            yield from read_file(path)
