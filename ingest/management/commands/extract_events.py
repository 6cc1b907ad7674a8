"""Run the extractor on a JSONL file of articles and print one JSON line per article.

This is the evaluation contract (issue 5), keep it stable:

    python manage.py extract_events INPUT.jsonl > OUTPUT.jsonl

Each input line is a JSON object with ``id``, ``title``, ``text``, ``published``
(YYYY-MM-DD or null), ``language`` (ar/en or null) and ``url``. Each output line is
``{"id": ..., "events": [...], "sites": [...]}``. A bad line gets an error on stderr
naming its line number and the other lines are still processed. Nothing is written to
the database and no server is needed.
"""
from __future__ import annotations

import json
import sys
from datetime import date

from django.core.management.base import BaseCommand

EVENT_FIELDS = (
    "event_date", "time_precision", "event_type", "sub_event_type", "disorder_type", "actor1", "inter1",
    "assoc_actor_1", "actor2", "inter2", "assoc_actor_2", "civilian_targeting", "location", "country", "admin1",
    "latitude", "longitude", "geo_precision", "weapon", "target", "fatalities", "injured", "site_slug",
    "confidence", "notes", "quote",
)
SITE_FIELDS = ("name", "kind", "operator", "country", "latitude", "longitude", "slug", "name_text")


def load_gazetteer():
    """The DB-backed gazetteer when the project has one and it works, else the bundled one."""
    try:
        from ingest.geocoding import get_gazetteer

        gaz = get_gazetteer()
        if gaz is not None:
            return gaz
    except Exception as exc:  # no module yet, no database, no table: fall back
        print(f"extract_events: using the bundled gazetteer ({type(exc).__name__}: {exc})", file=sys.stderr)
    from ingest.extraction.gazetteer import Gazetteer

    return Gazetteer.bundled()


def event_json(event) -> dict:
    data = event.to_json()
    out = {k: data.get(k) for k in EVENT_FIELDS}
    out["evidence"] = [{"field": e.field, "start": e.start, "end": e.end, "text": e.text} for e in event.evidence]
    return out


def site_json(site) -> dict:
    data = site.to_json()
    out = {k: data.get(k) for k in SITE_FIELDS}
    out["evidence"] = [{"field": e.field, "start": e.start, "end": e.end, "text": e.text} for e in site.evidence]
    return out


def parse_line(line: str):
    from ingest.extraction import ArticleInput

    row = json.loads(line)
    if not isinstance(row, dict):
        raise ValueError("not a JSON object")
    if "id" not in row:
        raise ValueError("missing 'id'")
    text = row.get("text")
    if not isinstance(text, str):
        raise ValueError("'text' must be a string")
    published = row.get("published")
    if published:
        published = date.fromisoformat(str(published)[:10])
    language = (str(row.get("language") or "").strip().lower()) or None
    if language not in (None, "ar", "en"):
        raise ValueError(f"unknown language {language!r}")
    return ArticleInput(
        text=text, title=row.get("title") or "", published=published or None, language=language,
        url=row.get("url") or None, id=str(row["id"]),
    ), row["id"]


class Command(BaseCommand):
    help = "Extract events from a JSONL file of articles; print one JSON line per article (no database writes)."

    requires_system_checks: list = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("input", help="JSONL file, or - for standard input")

    def handle(self, *args, **options):
        from ingest.extraction import extract

        gazetteer = load_gazetteer()
        path = options["input"]
        stream = sys.stdin if path == "-" else open(path, encoding="utf-8")
        errors = 0
        out = self.stdout
        try:
            for lineno, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                try:
                    article, raw_id = parse_line(line)
                except (ValueError, TypeError) as exc:
                    errors += 1
                    self.stderr.write(f"line {lineno}: {type(exc).__name__}: {exc}")
                    continue
                try:
                    result = extract(article, gazetteer)
                except Exception as exc:  # one article failing must not stop the others
                    errors += 1
                    self.stderr.write(f"line {lineno} (id {raw_id}): extraction failed: {type(exc).__name__}: {exc}")
                    result = None
                doc = {
                    "id": raw_id,
                    "events": [event_json(e) for e in result.events] if result else [],
                    "sites": [site_json(s) for s in result.sites] if result else [],
                }
                out.write(json.dumps(doc, ensure_ascii=False))
        finally:
            if stream is not sys.stdin:
                stream.close()
        if errors:
            self.stderr.write(f"{errors} line(s) had errors")
