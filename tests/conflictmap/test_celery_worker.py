"""A task sent through Redis is executed by a real worker process and its effect is visible in PostGIS."""
import time

import pytest
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D

from events.models import Site

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_task_sent_through_redis_runs_in_a_worker_process_and_writes_to_postgis(celery_worker_process):
    from tests import worker_tasks

    result = worker_tasks.create_site.delay("harness-check", 36.0, 40.5)
    assert result.get(timeout=30) != celery_worker_process.pid  # it ran in another process
    site = Site.objects.get(slug="harness-check")
    assert site.point.equals_exact(Point(40.5, 36.0, srid=4326), tolerance=1e-9)
    assert Site.objects.filter(point__distance_lte=(Point(40.501, 36.0, srid=4326), D(km=1))).exists()


def test_the_worker_is_a_separate_process_that_stops_by_its_pid(celery_worker_process):
    import psutil

    assert psutil.pid_exists(celery_worker_process.pid)
    celery_worker_process.stop()
    deadline = time.monotonic() + 10
    while psutil.pid_exists(celery_worker_process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert celery_worker_process.proc.poll() is not None
