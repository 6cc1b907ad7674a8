"""A task used only by the harness test, registered with the worker through ``CELERY_IMPORTS``."""
import os

from celery import shared_task
from django.contrib.gis.geos import Point


@shared_task(name="tests.worker_tasks.create_site")
def create_site(slug: str, lat: float, lon: float) -> int:
    from events.models import Site

    Site.objects.update_or_create(slug=slug, defaults={"name_en": slug, "point": Point(lon, lat, srid=4326)})
    return os.getpid()
