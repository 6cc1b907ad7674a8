"""Celery tasks of ingestion: thin, idempotent, acknowledged late.

``poll_due_sources`` (Celery beat, every minute) -> ``poll_source`` -> ``fetch_article``
-> ``extract_article``. Each task looks up its ids and calls a service.

Reliability, as configured here and in settings:

- ``acks_late``: the broker forgets a message only once its task has finished; a worker
  killed in the middle (SIGKILL, OOM, power) leaves the message unacknowledged and Redis
  hands it to a worker again after ``CELERY_VISIBILITY_TIMEOUT`` (restored when a worker
  starts or on its periodic sweep);
- ``reject_on_worker_lost``: a pool process that dies hands its task back at once;
- every task is idempotent (the services re-check the article's status under a row lock),
  so a task delivered twice does its work once: nothing is lost, nothing is done twice;
- transient errors (timeouts, connection errors, HTTP 5xx/429, the database going away)
  are retried with exponential backoff and jitter; on the last try, or at once for a
  permanent error, the article gets status ``failed`` and the error, for everyone to see.
"""
from __future__ import annotations

import logging
import random

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError

from . import services
from .fetch import TransientFetchError

log = logging.getLogger(__name__)

TRANSIENT = (TransientFetchError, OperationalError, InterfaceError)
TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True}


def max_retries(task) -> int:
    # Eager mode (no broker) retries at once, without waiting: once is enough there.
    return 1 if task.request.is_eager else int(getattr(settings, "INGEST_MAX_RETRIES", 4))


def countdown(retries: int) -> float:
    base = float(getattr(settings, "INGEST_RETRY_BACKOFF", 30.0))
    ceiling = float(getattr(settings, "INGEST_RETRY_BACKOFF_MAX", 1800.0))
    return min(base * (2 ** retries), ceiling) * random.uniform(0.8, 1.2)


def _retry_or_fail(task, exc: Exception, *, record) -> str:
    """Retry ``task`` later, or, on its last try, record ``exc`` as the final failure."""
    attempt, allowed = task.request.retries + 1, max_retries(task)
    message = f"{exc} (attempt {attempt} of {allowed + 1})"
    if task.request.retries >= allowed:
        try:
            record(message, True)
        except (OperationalError, InterfaceError):
            log.exception("could not record the failure of %s", task.name)
            raise
        return f"failed: {message}"
    try:
        record(message, False)  # visible while the task waits for its next try
    except (OperationalError, InterfaceError):
        pass  # the database is what failed; the retry will tell
    raise task.retry(exc=exc, countdown=countdown(task.request.retries), max_retries=allowed + 1)


def _article_recorder(article_id: int, stage: str):
    return lambda message, final: services.record_failure(article_id=article_id, stage=stage, error=message,
                                                          final=final)


@shared_task(bind=True, name="ingest.tasks.fetch_article", **TASK_OPTIONS)
def fetch_article(self, article_id: int) -> str:
    """Fetch a queued article's page, store its text, queue its extraction."""
    record = _article_recorder(article_id, "fetch")
    try:
        return services.fetch_article(article_id=article_id)
    except TRANSIENT as exc:
        return _retry_or_fail(self, exc, record=record)
    except SoftTimeLimitExceeded:
        record("took longer than the task time limit", True)
        return "failed: time limit"
    except Exception as exc:  # a bug: retrying would fail the same way
        log.exception("fetch_article %s failed", article_id)
        record(f"internal error: {type(exc).__name__}: {exc}", True)
        return f"failed: {type(exc).__name__}"


@shared_task(bind=True, name="ingest.tasks.extract_article", **TASK_OPTIONS)
def extract_article(self, article_id: int, force: bool = False) -> str:
    """Run the extractor on an article and store its events (``force`` runs it again)."""
    record = _article_recorder(article_id, "extract")
    try:
        return services.extract_article(article_id=article_id, force=force)
    except (OperationalError, InterfaceError) as exc:
        return _retry_or_fail(self, exc, record=record)
    except SoftTimeLimitExceeded:
        record("took longer than the task time limit", True)
        return "failed: time limit"
    except Exception as exc:  # the extractor is deterministic: the same text fails the same way
        log.exception("extract_article %s failed", article_id)
        record(f"{type(exc).__name__}: {exc}", True)
        return f"failed: {type(exc).__name__}"


@shared_task(bind=True, name="ingest.tasks.poll_source", **TASK_OPTIONS)
def poll_source(self, source_id: int, conditional: bool = True) -> dict:
    """Fetch a feed and queue a fetch for each entry not seen before."""

    def record(message: str, final: bool) -> None:
        services.record_source_error(source_id=source_id, error=message)

    try:
        return services.poll_source(source_id=source_id, conditional=conditional).as_dict()
    except TRANSIENT as exc:
        return {"error": _retry_or_fail(self, exc, record=record)}
    except SoftTimeLimitExceeded:
        record("took longer than the task time limit", True)
        return {"error": "time limit"}
    except services.Source.DoesNotExist:
        return {"error": "no such source"}
    except Exception as exc:
        log.exception("poll_source %s failed", source_id)
        record(f"internal error: {type(exc).__name__}: {exc}", True)
        return {"error": f"{type(exc).__name__}: {exc}"}


@shared_task(name="ingest.tasks.poll_due_sources", **TASK_OPTIONS)
def poll_due_sources() -> dict:
    """Queue a poll of every source whose interval has passed, and re-send articles left waiting."""
    claimed = services.claim_due_sources()
    for source_id in claimed:
        poll_source.delay(source_id)
    requeued = services.requeue_stale_articles()
    return {"polled": len(claimed), "requeued": requeued}
