"""``manage.py poll_sources``: poll the feeds now and report what came in."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ingest.fetch import FetchError
from ingest.management.reporting import Report, eager, progress, use_stderr, wait_for
from ingest.models import Source
from ingest.selectors import due_sources
from ingest.services import Outcome, poll_source


class Command(BaseCommand):
    help = ("Poll the active feeds now (conditional GET), queue their new entries and wait for them. Prints, "
            "per feed and in total, how many articles were new, duplicates and failed (with the reasons).")

    def add_arguments(self, parser):
        parser.add_argument("--name", action="append", default=[], help="only this source (repeatable)")
        parser.add_argument("--due", action="store_true", help="only the sources whose interval has passed")
        parser.add_argument("--force", action="store_true", help="ignore ETag/Last-Modified (fetch in full)")
        parser.add_argument("--no-wait", action="store_true")
        parser.add_argument("--timeout", type=float, default=1800.0)

    def handle(self, *args, name, due, force, no_wait, timeout, **options):
        use_stderr(self.stderr)
        if due:
            sources = due_sources()
        else:
            sources = list(Source.objects.filter(active=True).exclude(url="").order_by("name"))
        if name:
            sources = [s for s in (sources if due else Source.objects.exclude(url="")) if s.name in name]
            missing = set(name) - {s.name for s in sources}
            if missing:
                raise CommandError(f"no source with a feed named {', '.join(sorted(missing))}")
        report = Report("poll_sources")
        lines = []
        with progress(len(sources), "polling", unit="feed") as bar:
            for source in sources:
                try:
                    result = poll_source(source_id=source.pk, conditional=not force)
                except FetchError as exc:  # transient: the beat's task would retry later
                    report.add(Outcome(Outcome.FAILED, reason=f"feed: {exc}", where=source.name))
                    lines.append(f"  {source.name}: failed: {exc}")
                    bar.update(1)
                    continue
                for outcome in result.outcomes:
                    report.add(outcome)
                if result.error:
                    report.add(Outcome(Outcome.FAILED, reason=f"feed: {result.error}", where=source.name))
                summary = result.as_dict()
                lines.append(
                    f"  {source.name}: " + ("not modified" if result.not_modified else
                                            f"{summary['entries']} entries, {summary['new']} new, "
                                            f"{summary['duplicates']} already known, {summary['failed']} failed")
                    + (f" ({result.error})" if result.error else "")
                )
                bar.update(1)
        if not no_wait:
            if not eager():
                self.stderr.write("waiting for the Celery workers (--no-wait to return at once)")
            report.final = wait_for(report.new_article_ids(), timeout=timeout)
        self.stdout.write(f"{len(sources)} feeds polled")
        self.stdout.write("\n".join(lines))
        self.stdout.write(report.render(waited=not no_wait))
