"""Fixtures of the ingestion tests: workers with fast retries, fixture files, a feed builder."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import pytest

from tests.harness import WorkerProcess, worker_env

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "http"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def start_worker(transactional_db, tmp_path):
    """``start_worker(concurrency=1, **env)``: a real Celery worker with the ingestion test settings.

    Extra keyword arguments are environment variables of the worker (FETCH_TIMEOUT="1"...).
    Every worker started is stopped at the end, and the queue purged before and after.
    """
    from tests.conftest import ON_POSTGIS

    if not ON_POSTGIS:
        pytest.skip("the worker tests run against PostGIS and Redis")
    from conflictmap.celery import app

    app.control.purge()
    workers: list[WorkerProcess] = []

    def start(concurrency: int = 1, **env: str) -> WorkerProcess:
        environment = worker_env(**{"DJANGO_SETTINGS_MODULE": "tests.ingest.worker_settings", "FETCH_TIMEOUT": "2", **env})
        worker = WorkerProcess(concurrency=concurrency, env=environment,
                               log_path=tmp_path / f"worker-{len(workers)}.log")
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        worker.stop()
    app.control.purge()


def wait_until(predicate: Callable[[], object], *, timeout: float = 30.0, interval: float = 0.2, message: str = ""):
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {message or predicate}")
        time.sleep(interval)


def rss(items: list[dict], *, title: str = "Fixture feed", link: str = "http://127.0.0.1/", language: str = "en"
        ) -> bytes:
    """An RSS 2.0 document with ``items`` ({title, link, pubDate, description, guid})."""
    from xml.sax.saxutils import escape

    parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>{escape(title)}</title>'
             f"<link>{escape(link)}</link><language>{language}</language>"]
    for item in items:
        parts.append("<item>" + "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in item.items()) + "</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")


def article_html(title: str, paragraphs: list[str], *, lang: str = "en", published: str = "",
                 charset: str | None = "utf-8") -> str:
    """A news page with menus, a comment section and a footer around the article."""
    meta_charset = f'<meta charset="{charset}">' if charset else ""
    meta_date = f'<meta property="article:published_time" content="{published}">' if published else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head>{meta_charset}<title>{title} | Fixture News</title>{meta_date}'
        f"</head><body><header><nav><ul><li><a href='/'>Home</a></li><li><a href='/world'>World</a></li>"
        f"<li><a href='/sport'>Sport</a></li></ul></nav></header>"
        f"<main><article><h1>{title}</h1>{body}</article></main>"
        f"<aside><h3>Most read</h3><ul><li><a href='/x'>Celebrity wedding pictures</a></li></ul></aside>"
        f"<footer><p>Copyright Fixture News. All rights reserved. Subscribe to our newsletter.</p></footer>"
        f"</body></html>"
    )
