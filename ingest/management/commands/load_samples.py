"""``manage.py load_samples``: the demo articles of data/samples (what ``make run`` shows)."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Ingest the sample articles in data/samples (same as `manage.py ingest_file data/samples`)."

    def handle(self, *args, **options):
        call_command("ingest_file", str(Path(settings.BASE_DIR) / "data" / "samples"), stdout=self.stdout._out,
                     stderr=self.stderr._out)
