"""``manage.py add_source URL --name NAME --language ar --interval 30``: a feed to poll."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ingest.canonical import InvalidURL
from ingest.management.reporting import Report, eager, progress, use_stderr, wait_for
from ingest.services import add_source, poll_source


class Command(BaseCommand):
    help = "Add (or update, by name) an RSS/Atom feed that Celery beat polls every --interval minutes."

    def add_arguments(self, parser):
        parser.add_argument("url", metavar="URL", help="the feed's URL")
        parser.add_argument("--name", required=True, help="the outlet's name, e.g. 'Al Mayadeen'")
        parser.add_argument("--language", default="", help="ar or en (empty: detected per article)")
        parser.add_argument("--interval", type=int, default=30, help="minutes between two polls (default 30)")
        parser.add_argument("--inactive", action="store_true", help="add it without polling it")
        parser.add_argument("--poll", action="store_true", help="poll it now and wait for its articles")
        parser.add_argument("--timeout", type=float, default=600.0)

    def handle(self, *args, url, name, language, interval, inactive, poll, timeout, **options):
        use_stderr(self.stderr)
        if interval < 1:
            raise CommandError("--interval must be at least 1 minute")
        try:
            source = add_source(url=url, name=name, language=language, interval=interval, active=not inactive)
        except InvalidURL as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"source {source.name!r} (id {source.pk}): {source.url}, every {source.poll_interval} "
                          f"min, language {source.language or 'detected'}, {'active' if source.active else 'inactive'}")
        if poll:
            report = Report(f"poll {source.name}")
            with progress(1, "polling", unit="feed") as bar:
                result = poll_source(source_id=source.pk)
                bar.update(1)
            for outcome in result.outcomes:
                report.add(outcome)
            if result.error:
                self.stdout.write(f"  feed error: {result.error}")
            if not eager():
                self.stderr.write("waiting for the Celery workers")
            report.final = wait_for(report.new_article_ids(), timeout=timeout)
            self.stdout.write(report.render(waited=True))
