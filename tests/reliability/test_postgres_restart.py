"""PostgreSQL going away: pages answer 503 with a message (never a stack trace), tasks retry and finish.

Two levels:

* in this process, Django's connection is pointed at a port where nothing listens (a real
  "connection refused" from psycopg2, not a stub) and every page without parameters, found
  by walking the URL configuration, is requested anonymously and with a session cookie,
  with ``DEBUG`` off and on; a database error raised inside the session middleware (not a
  view) is covered too, since Django does not hand those to ``process_exception``;
* end to end, on a private PostgreSQL cluster (initdb into a temp dir as the ``postgres``
  user, a free port, PostGIS, migrated; never the shared server on 5432): gunicorn with the
  production settings and a Celery worker ingest pages from a fixture HTTP server; the
  cluster is stopped in the middle, the pages answer 503 while it is down, and once it is
  back the tasks have retried and every article is extracted, once.
"""
from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from conflictmap.middleware import MESSAGE
from tests.harness import REPO, Response
from tests.reliability.services import (
    PrivatePostgres, PrivateRedis, PrivateWorker, celery_app_for, free_port, wait_for,
)

STACK_TRACE_SIGNS = ("Traceback", "OperationalError", "psycopg2", "File \"/", "django.db", "Exception Value")


def static_paths() -> list[str]:
    """Every URL of the project that takes no parameter (admin pages included)."""
    out: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            if not isinstance(p.pattern, RoutePattern):
                continue  # regular expressions: the admin's app index and catch-all
            route = str(p.pattern)
            if "<" in route:
                continue
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + route)
            elif isinstance(p, URLPattern):
                out.append("/" + prefix + route)

    walk(get_resolver().url_patterns, "")
    return sorted(set(out))


def assert_unavailable_or_harmless(response, path: str) -> None:
    if response.streaming:
        # Its body is produced while it is sent: see test_the_csv_export_says_503_too.
        assert response.status_code != 500, path
        return
    body = response.content.decode("utf-8", "replace")
    assert response.status_code != 500, f"{path}: 500\n{body[:500]}"
    for sign in STACK_TRACE_SIGNS:
        assert sign not in body, f"{path}: {sign!r} in the response\n{body[:500]}"
    if response.status_code == 503:
        assert MESSAGE in body
        assert response["Retry-After"]


# --- In this process: a database that refuses connections ------------------------------------
@pytest.fixture
def database_down(transactional_db):
    """Django's connection pointed at a port that refuses connections; restored afterwards.

    The port is held by a socket bound without ``listen()``: the kernel answers every
    connection with a reset (as for a stopped server), and no other process can take the
    port meanwhile and leave the connection hanging.
    """
    refuser = socket.socket()
    refuser.bind(("127.0.0.1", 0))
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["HOST"], connection.settings_dict["PORT"] = "127.0.0.1", str(refuser.getsockname()[1])
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)
        refuser.close()


def test_the_middleware_sits_outside_every_middleware_that_uses_the_database():
    from django.conf import settings

    order = settings.MIDDLEWARE
    mine = order.index("conflictmap.middleware.DatabaseUnavailableMiddleware")
    for name in ("django.contrib.sessions.middleware.SessionMiddleware",
                 "django.contrib.auth.middleware.AuthenticationMiddleware",
                 "django.contrib.messages.middleware.MessageMiddleware",
                 "django.middleware.csrf.CsrfViewMiddleware",
                 "simple_history.middleware.HistoryRequestMiddleware",
                 "axes.middleware.AxesMiddleware"):
        if name in order:
            assert order.index(name) > mine, name


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_every_page_answers_503_or_works_while_the_database_refuses_connections(database_down, debug):
    # /snapshot.png renders through a Celery worker and waits for it (its own time-out and 503
    # are the embed tests' business); every other page is requested.
    paths = [p for p in static_paths() if p != "/snapshot.png"]
    assert {"/", "/healthz", "/admin/", "/admin/login/", "/api/events/"} <= set(paths)
    with override_settings(DEBUG=debug):
        anonymous = Client(raise_request_exception=False)
        logged_in = Client(raise_request_exception=False)
        logged_in.cookies["sessionid"] = "a" * 32  # a session that can only be read from the database
        unavailable = set()
        for path in paths:
            for client in (anonymous, logged_in):
                response = client.get(path, secure=True)
                assert_unavailable_or_harmless(response, path)
                if response.status_code == 503:
                    unavailable.add(path)
    # The pages that need the database said so.
    assert {"/healthz", "/admin/", "/api/events/", "/api/timeline/"} <= unavailable


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_a_database_error_inside_another_middleware_is_a_503_too(database_down, debug):
    """The session middleware saving a session on the way out: not a view, no ``process_exception``."""
    with override_settings(DEBUG=debug, SESSION_SAVE_EVERY_REQUEST=True):
        client = Client(raise_request_exception=False)
        client.cookies["sessionid"] = "b" * 32
        response = client.get("/no-such-page/", secure=True, HTTP_ACCEPT="text/html")
    assert response.status_code == 503, response.content[:300]
    assert_unavailable_or_harmless(response, "/no-such-page/")
    assert response["Content-Type"].startswith("text/plain")


def test_the_api_says_it_in_json(database_down):
    response = Client(raise_request_exception=False).get("/api/events/", secure=True)
    assert response.status_code == 503
    assert response.json() == {"detail": MESSAGE}


def test_the_csv_export_says_503_too(database_down):
    response = Client(raise_request_exception=False).get("/api/events.csv", secure=True)
    assert response.status_code == 503


# --- End to end: a private cluster stopped under ingestion ------------------------------------
PAGE = ("<html><head><title>{title}</title></head><body><nav>Home | World | Contact</nav><article>"
        "<h1>{title}</h1><p>{text}</p></article><footer>All rights reserved</footer></body></html>")
STORIES = [
    ("Drone strike in Bint Jbeil", "An Israeli drone strike hit a car in the town of Bint Jbeil in southern Lebanon "
                                   "on Monday, killing two people, the state news agency said."),
    ("Strike near Qamishli", "Turkish drones struck a vehicle near Qamishli in northeastern Syria on Tuesday, "
                             "killing three fighters, a war monitor said."),
    ("Shelling of Kafr Nabl", "Government forces shelled the town of Kafr Nabl in Idlib countryside on Sunday, "
                              "killing four civilians and wounding seven, local sources said."),
    ("IED in Daraa", "A roadside bomb exploded in the city of Daraa in southern Syria on Saturday, killing a "
                     "soldier, state media said."),
    ("Rockets at Erbil", "Rockets hit near Erbil airport in the Kurdistan Region of Iraq on Friday, "
                         "causing no casualties, officials said."),
    ("Strike on Abu Kamal", "Unidentified aircraft struck positions in Abu Kamal in eastern Syria on Thursday, "
                            "killing six fighters, a monitor said."),
]


class Gunicorn:
    """``gunicorn conflictmap.wsgi`` on 127.0.0.1, stopped by its PID."""

    def __init__(self, env: dict[str, str], log: Path, settings_module: str = "conflictmap.settings") -> None:
        self.port = free_port()
        self.env = {**env, "DJANGO_SETTINGS_MODULE": settings_module}
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Gunicorn":
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "conflictmap.wsgi:application", "--bind",
             f"127.0.0.1:{self.port}", "--workers", "1", "--timeout", "30", "--graceful-timeout", "5"],
            cwd=REPO, env=self.env, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        wait_for(lambda: self.get("/healthz")[0] == 200, 60, 0.3, what="gunicorn")
        return self

    def get(self, path: str, cookie: str = "") -> tuple[int, dict[str, str], str]:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
            headers = {"X-Forwarded-Proto": "https", "Accept": "text/html"}
            if cookie:
                headers["Cookie"] = cookie
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode("utf-8", "replace")
        except (ConnectionError, OSError):
            return 0, {}, ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


@pytest.fixture
def stack(tmp_path):
    """A private PostgreSQL and Redis, gunicorn and a worker on them; everything removed afterwards."""
    pg, redis = PrivatePostgres(), PrivateRedis()
    started = []
    try:
        pg.init().start()
        redis.start()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DATABASE_", "TEST_DATABASE"))}
        env.update(
            DATABASE_URL=pg.url, CELERY_BROKER_URL=redis.url, CELERY_RESULT_BACKEND=redis.url, SECRET_KEY="x" * 50,
            DEBUG="0", ALLOWED_HOSTS="127.0.0.1,localhost", BEHIND_TLS_PROXY="1", CONN_MAX_AGE="60",
            FETCH_ALLOWED_PRIVATE_HOSTS="127.0.0.1", CONFLICTMAP_VAR_DIR=str(tmp_path / "var"),
            CELERY_EXTRA_IMPORTS="tests.worker_tasks",
        )
        pg.create_database(env)
        web = Gunicorn(env, tmp_path / "gunicorn.log")
        started.append(web.start())
        app = celery_app_for(redis.url)
        # Retries seconds apart instead of minutes, so that a few seconds of outage fit the test.
        worker = PrivateWorker(app=app, env={**env, "INGEST_RETRY_BACKOFF": "1", "INGEST_RETRY_BACKOFF_MAX": "3",
                                             "INGEST_MAX_RETRIES": "6"}, log_path=tmp_path / "worker.log")
        started.append(worker.start(timeout=60))
        yield pg, redis, web, worker, env
    finally:
        for proc in reversed(started):
            proc.kill() if isinstance(proc, PrivateWorker) else proc.stop()
        pg.cleanup()
        redis.cleanup()


def article_counts(pg: PrivatePostgres) -> dict[str, int]:
    rows = pg.psql("SELECT status, count(*) FROM ingest_article GROUP BY status", db=pg.dbname)
    return {status: int(n) for status, n in (line.split("|") for line in rows.splitlines() if line)}


@pytest.mark.worker
@pytest.mark.slow
def test_postgres_stopped_under_ingestion_pages_say_503_and_tasks_finish_when_it_is_back(stack, fixture_server):
    pg, redis, web, worker, env = stack
    for i, (title, text) in enumerate(STORIES):
        # Each page takes a moment, so that the stop lands while articles are being fetched.
        fixture_server.route(f"/story-{i}.html", Response(200, PAGE.format(title=title, text=text).encode(),
                                                          {"Content-Type": "text/html; charset=utf-8"}, delay=0.4))
    urls = [fixture_server.url(f"/story-{i}.html") for i in range(len(STORIES))]
    out = subprocess.run([sys.executable, "manage.py", "ingest_url", "--no-wait", *urls], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    wait_for(lambda: article_counts(pg).get("extracted", 0) >= 1, 60, 0.2, what="the first article extracted")

    pg.stop("fast")  # terminates every connection, the worker's and gunicorn's
    assert not pg.running()
    down_since = time.monotonic()
    for path, cookie in [("/healthz", ""), ("/api/events/", ""), ("/api/timeline/", ""), ("/admin/", "sessionid=" + "c" * 32),
                         ("/admin/ingest/article/", "sessionid=" + "c" * 32), ("/", "sessionid=" + "c" * 32)]:
        status, headers, body = web.get(path, cookie)
        assert status in (503, 200), (path, status, body[:300])  # the map page itself needs no database
        if path != "/":
            assert status == 503, (path, status, body[:300])
        if status == 503:
            assert MESSAGE in body and headers.get("retry-after")
        for sign in STACK_TRACE_SIGNS:
            assert sign not in body, (path, sign, body[:300])
    time.sleep(max(0.0, 3.0 - (time.monotonic() - down_since)))  # tasks meet the outage and retry
    assert worker.proc.poll() is None and web.proc.poll() is None

    pg.start()
    wait_for(lambda: web.get("/healthz")[0] == 200, 30, 0.3, what="the site answering again")
    assert web.get("/api/events/")[0] == 200

    def all_extracted():
        counts = article_counts(pg)
        return counts.get("extracted", 0) == len(STORIES) and sum(counts.values()) == len(STORIES)

    wait_for(all_extracted, 90, 0.5, what=f"every article extracted; now {article_counts(pg)}")
    log = (worker.log_path).read_text(errors="replace")
    assert "retry" in log.lower(), "no task met the outage: the test did not test anything"
    # Nothing stored twice: one article per URL, one event per (type, day, place).
    assert int(pg.psql("SELECT count(DISTINCT canonical_url) FROM ingest_article", db=pg.dbname)) == len(STORIES)
    dupes = pg.psql("SELECT count(*) FROM (SELECT sub_event_type, event_date, location FROM events_event "
                    "GROUP BY 1, 2, 3 HAVING count(*) > 1) d", db=pg.dbname)
    assert dupes == "0"
    assert int(pg.psql("SELECT count(*) FROM events_event", db=pg.dbname)) >= 1
