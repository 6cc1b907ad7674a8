"""What the ingestion commands share: a progress bar on stderr, waiting for the workers, the summary.

Every input ends in exactly one of four piles, which the summary counts and the database
agrees with: **new** (an article created and fetched/extracted), **duplicates** (already
known by URL or text), **failed** (with the reason: a file that cannot be read, a URL
refused, a fetch or an extraction that failed on its article) and **pending** (still
being processed when ``--timeout`` ran out).
"""
from __future__ import annotations

import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from django.conf import settings
from tqdm import tqdm

from ingest.models import Article
from ingest.selectors import TERMINAL, article_states
from ingest.services import Outcome

SHOWN_FAILURES = 30


class _Stream:
    """A command's stderr (an OutputWrapper, which would add newlines and colours) as a plain stream."""

    def __init__(self, wrapper) -> None:
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, style_func=lambda x: x, ending="")

    def flush(self) -> None:
        self.wrapper.flush()


_stderr = None  # the stderr of the running command (set by ``use_stderr``)


def use_stderr(wrapper) -> None:
    """Send the progress bars to this command's stderr (``call_command(..., stderr=...)`` included)."""
    global _stderr
    _stderr = _Stream(wrapper) if wrapper is not None else None


def progress(total: int | None, desc: str, unit: str = "item") -> tqdm:
    """A progress bar on stderr (so stdout keeps only the summary)."""
    return tqdm(total=total, desc=desc, unit=unit, file=_stderr or sys.stderr, dynamic_ncols=True, mininterval=0.5,
                leave=True)


def eager() -> bool:
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


def wait_for(article_ids: Iterable[int], *, timeout: float, desc: str = "processing",
             done_statuses: set[str] | None = None) -> dict[int, tuple[str, str]]:
    """Poll the database until every article has reached a final status (or ``timeout``).

    Returns ``{id: (status, error)}`` as last seen.
    """
    ids = list(dict.fromkeys(article_ids))
    done_statuses = done_statuses or TERMINAL
    states: dict[int, tuple[str, str]] = {}
    if not ids:
        return states
    pending = set(ids)
    deadline = time.monotonic() + timeout
    with progress(len(ids), desc, unit="article") as bar:
        while True:
            seen = article_states(pending)
            finished = {pk for pk in pending if pk not in seen or seen[pk][0] in done_statuses}
            states.update(seen)
            for pk in pending - set(seen):
                states[pk] = ("missing", "deleted while being processed")
            bar.update(len(finished))
            pending -= finished
            if not pending or time.monotonic() >= deadline:
                break
            time.sleep(0.5)
    return states


@dataclass
class Report:
    """The outcome of each input, completed with where its article ended up."""

    title: str
    outcomes: list[Outcome] = field(default_factory=list)
    final: dict[int, tuple[str, str]] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)

    def new_article_ids(self) -> list[int]:
        return [o.article_id for o in self.outcomes if o.status == Outcome.NEW and o.article_id]

    def piles(self) -> tuple[Counter, list[tuple[str, str]]]:
        counts: Counter = Counter({"new": 0, "duplicates": 0, "failed": 0, "pending": 0})
        failures: list[tuple[str, str]] = []
        for outcome in self.outcomes:
            if outcome.status == Outcome.FAILED:
                counts["failed"] += 1
                failures.append((outcome.where, outcome.reason))
            elif outcome.status == Outcome.DUPLICATE:
                counts["duplicates"] += 1
            else:
                status, error = self.final.get(outcome.article_id, (Article.Status.FETCHED, ""))
                if status == Article.Status.FAILED:
                    counts["failed"] += 1
                    failures.append((outcome.where or f"article {outcome.article_id}",
                                     f"{error or 'failed'} (article {outcome.article_id})"))
                elif status == Article.Status.DUPLICATE:
                    counts["duplicates"] += 1
                elif status in (Article.Status.EXTRACTED, "missing"):
                    counts["new"] += 1
                elif self.final and outcome.article_id in self.final:
                    counts["pending"] += 1
                else:
                    counts["new"] += 1  # not waited for: created, and that is all we know
        return counts, failures

    def render(self, *, waited: bool) -> str:
        counts, failures = self.piles()
        lines = [
            f"{self.title}: {len(self.outcomes)} inputs",
            f"  new: {counts['new']}",
            f"  duplicates: {counts['duplicates']}",
            f"  failed: {counts['failed']}",
        ]
        if waited:
            lines.append(f"  pending: {counts['pending']}")
        else:
            lines.append("  (not waited for: new articles are being fetched/extracted by the workers)")
        if failures:
            by_reason = Counter(_reason_kind(reason) for _, reason in failures)
            lines.append("  failure reasons:")
            for kind, number in by_reason.most_common():
                lines.append(f"    {number} x {kind}")
            lines.append("  failures:")
            for where, reason in failures[:SHOWN_FAILURES]:
                lines.append(f"    - {where}: {reason}")
            if len(failures) > SHOWN_FAILURES:
                lines.append(f"    ... and {len(failures) - SHOWN_FAILURES} more")
        if counts["pending"]:
            lines.append("  some articles are still being processed: is a Celery worker running?"
                         " (celery -A conflictmap worker)")
        return "\n".join(lines)


def _reason_kind(reason: str) -> str:
    """The reason without the specifics (URLs, articles, numbers), to group failures."""
    kind = re.sub(r"https?://\S+", "URL", reason)
    kind = re.sub(r"\((article|attempt) [^)]*\)", "", kind)
    kind = re.sub(r"line \d+ column \d+ \(char \d+\)", "", kind)
    kind = re.sub(r"\d+", "N", kind)
    return " ".join(kind.split())[:100] or "failed"
