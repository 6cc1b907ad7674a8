"""ACLED-compatible CSV export, streamed, safe to open in a spreadsheet.

Columns are ACLED's, in ACLED's order (``events.acled.CSV_COLUMNS``). Events are read in
chunks (``iterator``) with their sources' outlets looked up per chunk, so memory stays
flat however many rows are exported.

Formula injection: a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return would be run as a formula by spreadsheet programs. Such cells are
prefixed with an apostrophe (OWASP's advice). Numeric columns (latitude, longitude,
fatalities...) are written from numbers and never altered, so ``-3.5`` stays a number.
"""
from __future__ import annotations

import csv
from collections import defaultdict
from typing import Iterable, Iterator

from django.db.models import Q, QuerySet

from events import acled
from events.models import Event, EventSource

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NUMERIC_COLUMNS = frozenset({
    "year", "time_precision", "inter1", "inter2", "interaction", "iso", "latitude", "longitude",
    "geo_precision", "fatalities", "timestamp",
})
CHUNK = 2000


def neutralise(value: str) -> str:
    """The cell as a spreadsheet shows it as text: ``'=1+1`` for ``=1+1``."""
    if value and value[0] in FORMULA_PREFIXES:
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def acled_row(event: Event, outlets: list[str]) -> dict[str, object]:
    name, iso_numeric, region = acled.COUNTRIES.get(event.country, (event.country, "", ""))
    point = event.point
    return {
        "event_id_cnty": f"{event.country or 'XX'}{event.pk}",
        "event_date": event.event_date.isoformat(),
        "year": event.event_date.year,
        "time_precision": event.time_precision,
        "disorder_type": event.disorder_type,
        "event_type": event.event_type,
        "sub_event_type": event.sub_event_type,
        "actor1": event.actor1,
        "assoc_actor_1": event.assoc_actor_1,
        "inter1": event.inter1 if event.inter1 is not None else "",
        "actor2": event.actor2,
        "assoc_actor_2": event.assoc_actor_2,
        "inter2": event.inter2 if event.inter2 is not None else "",
        "interaction": acled.interaction_code(event.inter1, event.inter2),
        "civilian_targeting": event.civilian_targeting,
        "iso": iso_numeric or "",
        "region": region,
        "country": name,
        "admin1": event.admin1,
        "admin2": event.admin2,
        "admin3": "",
        "location": event.location,
        "latitude": f"{point.y:.4f}" if point is not None else "",
        "longitude": f"{point.x:.4f}" if point is not None else "",
        "geo_precision": event.geo_precision,
        "source": "; ".join(outlets),
        "source_scale": "",
        "notes": event.notes,
        "fatalities": event.fatalities if event.fatalities is not None else 0,
        "tags": "",
        "timestamp": int(event.updated_at.timestamp()) if event.updated_at else "",
    }


def cells(row: dict[str, object]) -> list[str]:
    out = []
    for column in acled.CSV_COLUMNS:
        value = row[column]
        text = "" if value is None else str(value)
        out.append(text if column in NUMERIC_COLUMNS else neutralise(text))
    return out


def _outlets_by_event(ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    rows = (
        EventSource.objects.filter(event_id__in=ids)
        .exclude(article__outlet="")
        .order_by("event_id", "article__published", "id")
        .values_list("event_id", "article__outlet")
    )
    for event_id, outlet in rows:
        if outlet not in found[event_id]:
            found[event_id].append(outlet)
    return found


def _chunks(qs: QuerySet[Event]) -> Iterator[list[Event]]:
    """Events in chunks by keyset pagination (no long-lived cursor, no OFFSET)."""
    qs = qs.order_by("-event_date", "-id").defer("evidence", "locked_fields")
    last: tuple | None = None

    while True:
        page = qs
        if last is not None:
            day, pk = last
            page = page.filter(Q(event_date__lt=day) | Q(event_date=day, id__lt=pk))
        chunk = list(page[:CHUNK])
        if not chunk:
            return
        yield chunk
        if len(chunk) < CHUNK:
            return
        last = (chunk[-1].event_date, chunk[-1].pk)


def rows(qs: QuerySet[Event]) -> Iterable[str]:
    """The CSV text, line by line: the header, then one line per event."""
    writer = csv.writer(_Echo())
    yield writer.writerow(acled.CSV_COLUMNS)
    for chunk in _chunks(qs):
        outlets = _outlets_by_event([e.pk for e in chunk])
        for event in chunk:
            yield writer.writerow(cells(acled_row(event, outlets.get(event.pk, []))))
