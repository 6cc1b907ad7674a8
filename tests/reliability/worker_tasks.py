"""Tasks used only by the reliability tests, registered with test workers through ``CELERY_EXTRA_IMPORTS``."""
import os
import time
from pathlib import Path

from celery import shared_task


@shared_task(name="tests.reliability.record_run")
def record_run(key: str, seconds: float, log_dir: str) -> str:
    """Log the run, take ``seconds`` (a task that is *running* when the broker goes), write its effect once.

    The effect is idempotent (``update_or_create`` by key), like every real task; the log
    counts the runs, so a test can tell "ran again after a redelivery" from "lost".
    """
    from django.contrib.gis.geos import Point

    from events.models import Site

    log = Path(log_dir) / "runs.log"
    with open(log, "a") as f:
        f.write(f"start {key} {os.getpid()}\n")
    time.sleep(seconds)
    Site.objects.update_or_create(slug=key, defaults={"name_en": key, "point": Point(36.0, 35.0, srid=4326)})
    with open(log, "a") as f:
        f.write(f"done {key} {os.getpid()}\n")
    return key
