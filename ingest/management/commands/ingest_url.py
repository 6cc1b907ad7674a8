"""``manage.py ingest_url URL...``: fetch articles from their URLs."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from ingest.management.reporting import Report, eager, progress, use_stderr, wait_for
from ingest.models import Article
from ingest.services import submit_url


class Command(BaseCommand):
    help = ("Fetch articles from URLs (private, loopback and link-local addresses are refused) and extract "
            "them. Prints how many were new, duplicates and failed (with the reasons).")

    def add_arguments(self, parser):
        parser.add_argument("urls", nargs="+", metavar="URL")
        parser.add_argument("--outlet", default="")
        parser.add_argument("--language", default="", help="ar or en; detected when not given")
        parser.add_argument("--no-wait", action="store_true", help="do not wait for the workers")
        parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the workers")

    def handle(self, *args, urls, outlet, language, no_wait, timeout, **options):
        use_stderr(self.stderr)
        report = Report("ingest_url")
        with progress(len(urls), "queueing", unit="url") as bar:
            for url in urls:
                report.add(submit_url(url=url, origin=Article.Origin.URL, outlet=outlet, language=language,
                                      where=url))
                bar.update(1)
        if not no_wait:
            if not eager():
                self.stderr.write("waiting for the Celery workers (--no-wait to return at once)")
            report.final = wait_for(report.new_article_ids(), timeout=timeout)
        self.stdout.write(report.render(waited=not no_wait))
