"""``manage.py reextract [--since DATE] [--source NAME]``: run the extractor again on stored articles."""
from __future__ import annotations

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ingest.management.reporting import SHOWN_FAILURES, eager, progress, use_stderr
from ingest.models import Article
from ingest.selectors import articles_to_reextract
from ingest.services import queue_extraction


class Command(BaseCommand):
    help = ("Run the extractor again on stored articles (all, or published since --since, or from --source). "
            "Editors' corrections survive: locked fields and rejections are kept by the event store. Prints how "
            "many were re-extracted and failed (with the reasons), and how many events are new.")

    def add_arguments(self, parser):
        parser.add_argument("--since", type=date.fromisoformat, help="published on or after YYYY-MM-DD")
        parser.add_argument("--source", help="source (or outlet) name")
        parser.add_argument("--no-wait", action="store_true")
        parser.add_argument("--timeout", type=float, default=3600.0)

    def handle(self, *args, since, source, no_wait, timeout, **options):
        use_stderr(self.stderr)
        from events.models import Event

        if source and not (Article.objects.filter(source__name=source).exists()
                           or Article.objects.filter(outlet=source).exists()):
            raise CommandError(f"no article from a source or outlet named {source!r}")
        ids = list(articles_to_reextract(since=since, source=source).values_list("pk", flat=True))
        events_before = Event.objects.count()
        started = timezone.now()
        with progress(len(ids), "queueing", unit="article") as bar:
            for pk in ids:
                queue_extraction(article_id=pk, force=True)
                bar.update(1)
        done: dict[int, tuple[str, str]] = {}
        if not no_wait:
            if not eager():
                self.stderr.write("waiting for the Celery workers (--no-wait to return at once)")
            deadline = time.monotonic() + timeout
            pending = set(ids)
            with progress(len(ids), "extracting", unit="article") as bar:
                while pending:
                    rows = Article.objects.filter(pk__in=list(pending)[:5000]).values_list(
                        "pk", "status", "extracted_at", "updated_at", "error")
                    finished = 0
                    seen = set()
                    for pk, status, extracted_at, updated_at, error in rows:
                        seen.add(pk)
                        if status == Article.Status.EXTRACTED and extracted_at and extracted_at >= started:
                            done[pk] = (status, "")
                        elif status == Article.Status.FAILED and updated_at >= started:
                            done[pk] = (status, error)
                        else:
                            continue
                        pending.discard(pk)
                        finished += 1
                    for pk in [pk for pk in list(pending)[:5000] if pk not in seen]:
                        pending.discard(pk)
                        done[pk] = ("missing", "deleted")
                        finished += 1
                    bar.update(finished)
                    if not pending or time.monotonic() >= deadline:
                        break
                    time.sleep(0.5)
        failures = [(pk, error) for pk, (status, error) in done.items() if status == Article.Status.FAILED]
        extracted = sum(1 for status, _ in done.values() if status == Article.Status.EXTRACTED)
        events_after = Event.objects.count()
        lines = [f"reextract: {len(ids)} articles"]
        if no_wait:
            lines.append("  (not waited for: the workers are extracting them)")
        else:
            lines += [f"  re-extracted: {extracted}", f"  failed: {len(failures)}",
                      f"  pending: {len(ids) - len(done)}"]
            lines.append(f"  events: {events_before} before, {events_after} after "
                         f"({events_after - events_before:+d})")
        for pk, error in failures[:SHOWN_FAILURES]:
            lines.append(f"    - article {pk}: {error}")
        if len(failures) > SHOWN_FAILURES:
            lines.append(f"    ... and {len(failures) - SHOWN_FAILURES} more")
        self.stdout.write("\n".join(lines))
