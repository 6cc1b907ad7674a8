"""Real services for the tests: a Celery worker process, an HTTP fixture server, Chromium.

Nothing here is a stand-in. The worker is ``celery -A conflictmap worker`` in its own
process, talking to the same Redis and PostGIS as the tests; the HTTP server is a real
socket on 127.0.0.1; the browser is Debian's Chromium driven by Playwright.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

from django.db import connection

REPO = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).with_name("celery"))


def worker_env(**extra: str) -> dict[str, str]:
    """The environment of the test process, pointed at the test database."""
    env = dict(os.environ)
    db = connection.settings_dict
    env["DATABASE_URL"] = (
        f"postgis://{db['USER'] or ''}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env.setdefault("SECRET_KEY", "test")
    env["FETCH_ALLOWED_PRIVATE_HOSTS"] = "127.0.0.1,localhost"
    env["CELERY_EXTRA_IMPORTS"] = "tests.worker_tasks"
    env.update(extra)
    return env


class WorkerProcess:
    """A Celery worker started and stopped by its PID."""

    def __init__(self, *, concurrency: int = 1, queues: str = "celery,snapshots", env: dict[str, str] | None = None,
                 log_path: Path | None = None, pool: str = "prefork") -> None:
        self.concurrency = concurrency
        self.queues = queues
        self.env = env
        self.pool = pool
        self.log_path = log_path or Path(os.environ.get("CONFLICTMAP_VAR_DIR", REPO / "var")) / "test-worker.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> "WorkerProcess":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [CELERY, "-A", "conflictmap", "worker", "--loglevel=INFO", f"--concurrency={self.concurrency}",
             f"--pool={self.pool}", "-Q", self.queues, "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-n", f"test-{os.getpid()}-{time.monotonic_ns()}@%h"],
            cwd=REPO, env=self.env or worker_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        from conflictmap.celery import app

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"celery worker exited with {self.proc.returncode}; see {self.log_path}")
            try:
                if app.control.ping(timeout=0.5):
                    return
            except Exception:  # the broker may still be starting
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"celery worker not ready after {timeout}s; see {self.log_path}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def child_pids(self) -> list[int]:
        import psutil

        try:
            return [c.pid for c in psutil.Process(self.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children), as a crash would."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 20.0) -> None:
        if not self.proc or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (for timeouts)
    # Sent with ``Transfer-Encoding: chunked`` instead of ``body`` (no Content-Length), waiting
    # ``chunk_delay`` seconds before each chunk: for size caps on streamed bodies and slow drips.
    chunks: list[bytes] | None = None
    chunk_delay: float = 0.0


Handler = Callable[[BaseHTTPRequestHandler], Response]


class _QuietHTTPServer(ThreadingHTTPServer):
    """A client that hangs up (a timeout, a refused redirect, a killed worker) is not an error."""

    def handle_error(self, request, client_address) -> None:
        import sys as _sys

        if isinstance(_sys.exc_info()[1], (ConnectionResetError, BrokenPipeError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class FixtureServer:
    """A real HTTP server on 127.0.0.1 whose routes a test sets up.

    ``server.route("/feed.xml", Response(body=..., headers={...}))`` or a callable that
    receives the request handler (to read headers such as If-None-Match). Every request
    is recorded in ``server.requests`` as (method, path, headers).
    """

    def __init__(self) -> None:
        self.routes: dict[str, Response | Handler] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def _serve(self, send_body: bool) -> None:
                outer.requests.append((self.command, self.path, dict(self.headers)))
                route = outer.routes.get(self.path) or outer.routes.get(self.path.split("?")[0])
                if route is None:
                    resp = Response(404, b"not found", {"Content-Type": "text/plain"})
                else:
                    resp = route(self) if callable(route) else route
                if resp.delay:
                    time.sleep(resp.delay)
                try:
                    if resp.chunks is not None:
                        self._send_chunked(resp, send_body)
                        return
                    self.send_response(resp.status)
                    headers = {"Content-Length": str(len(resp.body)), **resp.headers}
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    if send_body:
                        self.wfile.write(resp.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _send_chunked(self, resp: Response, send_body: bool) -> None:
                self.send_response(resp.status)
                for k, v in {**resp.headers, "Transfer-Encoding": "chunked"}.items():
                    self.send_header(k, v)
                self.end_headers()
                if not send_body:
                    return
                for chunk in resp.chunks or []:
                    if resp.chunk_delay:
                        time.sleep(resp.chunk_delay)
                    if chunk:
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                        self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

            def do_GET(self) -> None:
                self._serve(True)

            def do_HEAD(self) -> None:
                self._serve(False)

        self.httpd = _QuietHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, response: Response | Handler) -> str:
        self.routes[path] = response
        return self.url(path)

    def start(self) -> "FixtureServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
