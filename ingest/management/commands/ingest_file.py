"""``manage.py ingest_file PATH...``: articles from .txt, .html, .json, .jsonl files, folders, gzip of any."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from ingest.files import FileProblem, iter_paths, read_file
from ingest.management.reporting import Report, eager, progress, use_stderr, wait_for
from ingest.models import Article
from ingest.services import Outcome, submit_text, submit_url


class Command(BaseCommand):
    help = ("Ingest articles from files and folders (.txt, .html, .json, .jsonl, and .gz of any). Records with "
            "text are stored and extracted; records with only a URL are fetched. Prints how many were new, "
            "duplicates and failed (with the reasons).")

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="files or folders")
        parser.add_argument("--outlet", default="", help="outlet of the articles that do not name one")
        parser.add_argument("--language", default="", help="language (ar, en) of the articles that do not give one")
        parser.add_argument("--no-wait", action="store_true", help="do not wait for the workers to process them")
        parser.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait for the workers")

    def handle(self, *args, paths, outlet, language, no_wait, timeout, **options):
        use_stderr(self.stderr)
        samples_dir = (Path(settings.BASE_DIR) / "data" / "samples").resolve()
        report = Report("ingest_file")
        files = list(iter_paths(paths))
        with progress(len(files), "reading files", unit="file") as bar:
            for path in files:
                if isinstance(path, FileProblem):
                    report.add(Outcome(Outcome.FAILED, reason=path.reason, where=path.where))
                    bar.update(1)
                    continue
                origin = Article.Origin.SAMPLE if samples_dir in path.resolve().parents else Article.Origin.FILE
                for record in read_file(path):
                    if isinstance(record, FileProblem):
                        report.add(Outcome(Outcome.FAILED, reason=record.reason, where=record.where))
                        continue
                    common = dict(
                        origin=origin, title=record.title, outlet=record.outlet or outlet,
                        published=record.published, published_date=record.published_date,
                        language=record.language or language, external_id=record.external_id,
                        metadata={**record.metadata, "file": record.where[-500:]}, where=record.where,
                    )
                    if record.text.strip():
                        outcome = submit_text(text=record.text, url=record.url, decode_errors=record.decode_errors,
                                              **common)
                    else:
                        outcome = submit_url(url=record.url, **common)
                    report.add(outcome)
                bar.update(1)
        waited = not no_wait
        if waited:
            if not eager():
                self.stderr.write("waiting for the Celery workers (--no-wait to return at once)")
            report.final = wait_for(report.new_article_ids(), timeout=timeout)
        self.stdout.write(report.render(waited=waited))
