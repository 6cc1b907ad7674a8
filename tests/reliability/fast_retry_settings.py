"""The project's settings with the ingestion retries seconds apart instead of minutes.

Used (as ``DJANGO_SETTINGS_MODULE``) only by the worker of ``test_postgres_restart.py`` so
that a few seconds of database outage are ridden out within the test's time budget. The
retry logic itself is the production one (``ingest/tasks.py``); only the waits shrink.
"""
from conflictmap.settings import *  # noqa: F401,F403

INGEST_RETRY_BACKOFF = 1.0
INGEST_RETRY_BACKOFF_MAX = 3.0
INGEST_MAX_RETRIES = 6
