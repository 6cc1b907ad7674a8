"""Reads for ingestion: due sources, stale articles, where a batch of articles stands."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Iterable

from django.db.models import QuerySet
from django.utils import timezone

from .models import Article, Source

TERMINAL = {Article.Status.EXTRACTED, Article.Status.FAILED, Article.Status.DUPLICATE}


def due_sources(*, now: datetime | None = None) -> list[Source]:
    """Active sources with a feed URL whose interval has passed since their last poll."""
    now = now or timezone.now()
    due = []
    for source in Source.objects.filter(active=True).exclude(url="").order_by("last_polled", "pk"):
        if source.last_polled is None or source.last_polled <= now - timedelta(minutes=max(1, source.poll_interval)):
            due.append(source)
    return due


def stale_article_ids(*, status: str, older_than: timedelta, limit: int = 500) -> list[int]:
    cutoff = timezone.now() - older_than
    return list(
        Article.objects.filter(status=status, updated_at__lt=cutoff).order_by("updated_at").values_list("pk", flat=True)[
            :limit
        ]
    )


def article_states(ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """``{id: (status, error)}`` for the given articles, read in chunks."""
    ids = list(ids)
    states: dict[int, tuple[str, str]] = {}
    for start in range(0, len(ids), 2000):
        chunk = ids[start:start + 2000]
        for pk, status, error in Article.objects.filter(pk__in=chunk).values_list("pk", "status", "error"):
            states[pk] = (status, error)
    return states


def status_counts(ids: Iterable[int]) -> Counter:
    return Counter(status for status, _ in article_states(ids).values())


def articles_to_reextract(*, since: date | None = None, source: str | None = None) -> QuerySet[Article]:
    """Articles with text that extraction can run on, optionally published since a day or from one source."""
    queryset = Article.objects.exclude(text="").exclude(status__in=[Article.Status.QUEUED, Article.Status.DUPLICATE])
    if since:
        queryset = queryset.filter(published__date__gte=since)
    if source:
        queryset = queryset.filter(source__name=source) | queryset.filter(outlet=source, source__isnull=True)
    return queryset.order_by("pk")
