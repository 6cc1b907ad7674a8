"""Test-only pause points inside a real Celery worker, so that a test can SIGKILL it at a chosen moment.

This module is imported only by the workers the test suite starts, through the setting
that lists extra task modules (``CELERY_EXTRA_IMPORTS=...,tests.reliability.worker_hooks``),
and it does nothing unless ``CONFLICTMAP_TEST_PAUSE`` is set in that worker's environment.
Production never imports it. Nothing is replaced or mocked: the hooks are Celery's own
task signals and Django's database instrumentation (``connection.execute_wrappers``), and
the task, the extractor and the database writes around the pause are the real ones.

``CONFLICTMAP_TEST_PAUSE`` names the point:

``after-sql:<text>``
    right after the first SQL statement containing ``<text>`` has run, i.e. inside the
    task's transaction, with some of its writes done and none committed;
``postrun:<task name>``
    after the task has returned (its transaction committed) and before the worker has
    acknowledged the message (``acks_late``);
``prerun:<task name>``
    after the worker has received the message, before the task body starts.

The first process that reaches the point creates ``$CONFLICTMAP_TEST_PAUSE_DIR/paused``
(with ``O_EXCL``: it pauses once, whatever the number of workers and restarts), writes its
PID in it, and sleeps until ``$CONFLICTMAP_TEST_PAUSE_DIR/release`` exists or
``CONFLICTMAP_TEST_PAUSE_MAX`` seconds (default 120) have passed. The test reads
``paused`` to know the worker is exactly there, then kills it.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

POINT = os.environ.get("CONFLICTMAP_TEST_PAUSE", "")
PAUSE_DIR = Path(os.environ.get("CONFLICTMAP_TEST_PAUSE_DIR", "/nonexistent"))
PAUSE_MAX = float(os.environ.get("CONFLICTMAP_TEST_PAUSE_MAX", "120"))


def pause(where: str) -> None:
    try:
        fd = os.open(PAUSE_DIR / "paused", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return  # paused once already: later deliveries run straight through
    with os.fdopen(fd, "w") as f:
        f.write(f"{os.getpid()} {where}\n")
    deadline = time.monotonic() + PAUSE_MAX
    while time.monotonic() < deadline and not (PAUSE_DIR / "release").exists():
        time.sleep(0.05)


if POINT:
    from celery.signals import task_postrun, task_prerun

    kind, _, arg = POINT.partition(":")

    if kind == "after-sql":

        def _after_sql(execute, sql, params, many, context):
            result = execute(sql, params, many, context)
            if arg in sql:
                pause(f"after {sql[:120]}")
            return result

        @task_prerun.connect(weak=False)
        def _install(sender=None, **kwargs):
            from django.db import connection

            if _after_sql not in connection.execute_wrappers:
                connection.execute_wrappers.append(_after_sql)

    elif kind == "postrun":

        @task_postrun.connect(weak=False)
        def _postrun(sender=None, **kwargs):
            if sender is not None and sender.name == arg:
                pause(f"after {arg} returned")

    elif kind == "prerun":

        @task_prerun.connect(weak=False)
        def _prerun(sender=None, **kwargs):
            if sender is not None and sender.name == arg:
                pause(f"before {arg}")

    else:
        raise ValueError(f"CONFLICTMAP_TEST_PAUSE: unknown point {POINT!r}")
