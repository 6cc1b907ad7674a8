"""The Celery application; tasks are discovered in each app's ``tasks.py``."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflictmap.settings")

app = Celery("conflictmap")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="conflictmap.ping")
def ping() -> str:
    """A task with no side effect, for health checks (``celery -A conflictmap call conflictmap.ping``)."""
    return "pong"
