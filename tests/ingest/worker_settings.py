"""Settings for the test workers of the ingestion tests: the real settings, with retries fast.

Used as ``DJANGO_SETTINGS_MODULE`` of the worker process (``tests/ingest/conftest.py``), so a
test that exhausts the retries of a slow server takes seconds, not the production minutes.
"""
from conflictmap.settings import *  # noqa: F401,F403

INGEST_MAX_RETRIES = 2
INGEST_RETRY_BACKOFF = 0.2
INGEST_RETRY_BACKOFF_MAX = 1.0
