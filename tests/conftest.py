"""Fixtures shared by the whole suite: the real worker, the fixture HTTP server, the browser."""
from __future__ import annotations

import os

import pytest

from tests.harness import CHROMIUM_ARGS, FixtureServer, WorkerProcess, worker_env

ON_POSTGIS = "postgis" in os.environ.get("DATABASE_URL", "")


def pytest_collection_modifyitems(config, items):
    """Tests that need PostGIS, Redis or a worker are skipped only in the SpatiaLite smoke run."""
    if ON_POSTGIS:
        return
    skip = pytest.mark.skip(reason="needs PostGIS and Redis: runs in the main (PostGIS) pass of make test")
    for item in items:
        if "worker" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def fixture_server():
    server = FixtureServer().start()
    yield server
    server.stop()


@pytest.fixture
def celery_worker_process(transactional_db):
    """A real ``celery worker`` process on the test database; tests using it must commit."""
    if not ON_POSTGIS:
        pytest.skip("the worker tests run against PostGIS and Redis")
    from conflictmap.celery import app

    app.control.purge()
    worker = WorkerProcess(env=worker_env()).start()
    yield worker
    worker.stop()
    app.control.purge()


@pytest.fixture(scope="session")
def browser():
    from django.conf import settings
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the tests' ORM calls are
    # still synchronous, so Django's async guard would refuse them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=settings.CHROMIUM_PATH, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser page that records console errors in ``page.console_errors``."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    pg.console_errors = []
    pg.on("console", lambda msg: msg.type == "error" and pg.console_errors.append(msg.text))
    pg.on("pageerror", lambda exc: pg.console_errors.append(str(exc)))
    yield pg
    context.close()
