"""Reads about events for the editors' workflow (admin lists, the review queue, evidence).

Writes live in ``events.services``; nothing here changes the database.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.db.models import Case, Count, IntegerField, QuerySet, Value, When

from .models import AliasSuggestion, Event, EventSource, Place, Site

# Evidence keys that support the place of an event: their text is the name the article used.
PLACE_EVIDENCE_FIELDS = ("location", "site")


def with_source_counts(queryset: QuerySet[Event] | None = None) -> QuerySet[Event]:
    """Events annotated with ``n_sources``: the number of articles that report each one."""
    qs = Event.objects.all() if queryset is None else queryset
    return qs.annotate(n_sources=Count("sources", distinct=True))


def review_queue(queryset: QuerySet[Event] | None = None) -> QuerySet[Event]:
    """What editors should look at, most urgent first.

    Merged and rejected events are done with and left out. Unreviewed events come first,
    then the lowest confidence, then the events reported by the most articles (they reach
    the most readers), then the most recent.
    """
    qs = Event.objects.all() if queryset is None else queryset
    qs = qs.exclude(review_status__in=[Event.ReviewStatus.MERGED, Event.ReviewStatus.REJECTED])
    return with_source_counts(qs).annotate(
        review_rank=Case(
            When(review_status=Event.ReviewStatus.UNREVIEWED, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("review_rank", "confidence", "-n_sources", "-event_date", "-id")


def event_sources(event: Event) -> list[EventSource]:
    """The links from an event to its articles, with the articles, oldest article first."""
    return list(
        EventSource.objects.filter(event_id=event.pk).select_related("article", "merged_from").order_by("article_id", "id")
    )


def survivor_of(event: Event, *, max_hops: int = 50) -> Event:
    """The event a merged event ended up in (following merges of merges); itself otherwise."""
    seen = {event.pk}
    current = event
    while current.merged_into_id and len(seen) <= max_hops:
        nxt = Event.objects.get(pk=current.merged_into_id)
        if nxt.pk in seen:  # a cycle would be a bug elsewhere; stop rather than loop
            break
        seen.add(nxt.pk)
        current = nxt
    return current


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    fields: tuple[str, ...]


def evidence_spans(event: Event, article_id: int, *, in_title: bool = False) -> list[Span]:
    """The non-overlapping spans of one article's text that support the event's fields.

    Overlapping spans are joined, and the joined span lists every field it supports.
    Spans from the title (``in_title``) are kept apart from spans from the body.
    """
    raw: list[tuple[int, int, str]] = []
    for field, items in (event.evidence or {}).items():
        for item in items or []:
            if item.get("article") != article_id or bool(item.get("in_title")) != in_title:
                continue
            try:
                start, end = int(item["start"]), int(item["end"])
            except (KeyError, TypeError, ValueError):
                continue
            if 0 <= start < end:
                raw.append((start, end, field))
    raw.sort()
    spans: list[Span] = []
    for start, end, field in raw:
        if spans and start < spans[-1].end:
            last = spans[-1]
            fields = last.fields if field in last.fields else last.fields + (field,)
            spans[-1] = Span(last.start, max(last.end, end), fields)
        else:
            spans.append(Span(start, end, (field,)))
    return spans


def evidence_for_field(event: Event, field: str) -> list[dict]:
    return list((event.evidence or {}).get(field, []))


def place_names_in_evidence(event: Event) -> list[str]:
    """The names the articles used for the event's place (evidence of location / site)."""
    names: list[str] = []
    for field in PLACE_EVIDENCE_FIELDS:
        for item in (event.evidence or {}).get(field, []):
            text = " ".join(str(item.get("text") or "").split())
            if 2 <= len(text) <= 200 and text not in names:
                names.append(text)
    return names


def km_between(a: Point, b: Point) -> float:
    """Great-circle distance in km between two lon/lat points (for ranking, not for queries)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (a.x, a.y, b.x, b.y))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def nearest_gazetteer_entry(point: Point, *, km: float) -> Site | Place | None:
    """The site or place nearest to ``point`` within ``km``; a site wins a tie (it is more specific)."""
    if point is None:
        return None
    candidates: list[tuple[float, int, Site | Place]] = []
    for site in Site.objects.filter(point__distance_lte=(point, D(km=km))):
        candidates.append((km_between(point, site.point), 0, site))
    for place in Place.objects.filter(point__distance_lte=(point, D(km=km))):
        candidates.append((km_between(point, place.point), 1, place))
    if not candidates:
        return None
    candidates.sort(key=lambda c: (c[0], c[1], c[2].pk))
    return candidates[0][2]


def pending_alias_suggestions() -> QuerySet[AliasSuggestion]:
    return AliasSuggestion.objects.filter(accepted__isnull=True).select_related("place", "site", "event")


def events_by_ids(ids: Iterable[int]) -> QuerySet[Event]:
    return Event.objects.filter(pk__in=list(ids))
