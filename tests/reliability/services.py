"""Private Redis servers and PostgreSQL clusters that the fault tests may stop and restart.

The shared services on 5432 and 6379 serve every engineer's tests at once: these tests
never touch them. Each service here runs on a free port, in its own temporary directory,
started and stopped by its PID (or ``pg_ctl`` on its own data directory), and removed in
``cleanup()`` even when a test fails.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from tests.harness import REPO, WorkerProcess

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached after {timeout}s")
        time.sleep(interval)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


# --- Redis ---------------------------------------------------------------------------------
def compose_redis_args() -> list[str]:
    """The persistence options docker-compose.yml gives Redis in production (``--appendonly yes``)."""
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    command = compose["services"]["redis"]["command"]
    assert command[0] == "redis-server", command
    return list(command[1:])


class PrivateRedis:
    """``redis-server`` on a free port with production's persistence options, in a temp dir."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="cm-redis-"))
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.args = compose_redis_args()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def cli(self, *args: str, timeout: float = 10) -> str:
        out = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), *args],
                             capture_output=True, text=True, timeout=timeout)
        return out.stdout.strip()

    def start(self, timeout: float = 15) -> "PrivateRedis":
        log = open(self.dir / "redis.log", "ab")
        self.proc = subprocess.Popen(
            ["redis-server", *self.args, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--daemonize", "no", "--protected-mode", "yes"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        # Up means answering PING after loading the append-only file, not just listening.
        wait_for(lambda: self.proc.poll() is None and self.cli("ping", timeout=2) == "PONG", timeout,
                 what=f"private redis on {self.port}")
        return self

    def shutdown(self, timeout: float = 15) -> None:
        """A clean stop (what ``docker compose restart redis`` does: SIGTERM, AOF flushed)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout)

    def crash(self) -> None:
        """SIGKILL: no chance to flush anything beyond what ``appendfsync everysec`` wrote."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def restart(self, down_for: float = 0.0, crash: bool = False) -> None:
        self.crash() if crash else self.shutdown()
        time.sleep(down_for)
        self.start()

    def cleanup(self) -> None:
        try:
            self.crash()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


# --- PostgreSQL ----------------------------------------------------------------------------
def _as_postgres(*cmd: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    prefix = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]
    return subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=timeout, check=check)


class PrivatePostgres:
    """A throw-away PostgreSQL 15 cluster (initdb as the ``postgres`` user) with PostGIS, on a free port."""

    def __init__(self, dbname: str = "conflictmap") -> None:
        self.base = Path(tempfile.mkdtemp(prefix="cm-pg-"))
        self.data = self.base / "data"
        self.sock = self.base / "sock"
        self.log = self.base / "postgres.log"
        self.port = free_port()
        self.dbname = dbname
        self.initialised = False

    @property
    def url(self) -> str:
        return f"postgis://postgres@127.0.0.1:{self.port}/{self.dbname}"

    def init(self) -> "PrivatePostgres":
        self.sock.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
            shutil.chown(self.sock, "postgres", "postgres")
        _as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                     "--locale=C.UTF-8", "--no-sync")
        with open(self.data / "postgresql.conf", "a") as conf:
            # A throw-away cluster: durability against an OS crash is not what is tested.
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.sock}'\n"
                       "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 50\n"
                       "shared_buffers = 32MB\n")
        self.initialised = True
        return self

    def start(self, timeout: int = 30) -> None:
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", str(timeout),
                     "start", timeout=timeout + 10)

    def stop(self, mode: str = "fast", timeout: int = 30) -> None:
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", str(timeout), "stop",
                     timeout=timeout + 10, check=False)

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists() and port_open(self.port)

    def psql(self, sql: str, db: str = "postgres") -> str:
        out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                              str(self.port), "-U", "postgres", "-d", db, "-c", sql],
                             capture_output=True, text=True, timeout=60, check=True)
        return out.stdout.strip()

    def create_database(self, env: dict[str, str]) -> None:
        """The project's database with PostGIS, migrated with ``manage.py migrate``."""
        self.psql(f"CREATE DATABASE {self.dbname}")
        self.psql("CREATE EXTENSION IF NOT EXISTS postgis", db=self.dbname)
        out = subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=REPO,
                             env={**env, "DATABASE_URL": self.url}, capture_output=True, text=True, timeout=240)
        assert out.returncode == 0, out.stdout + out.stderr

    def cleanup(self) -> None:
        try:
            if self.initialised and (self.data / "postmaster.pid").exists():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


# --- A worker on a private broker ----------------------------------------------------------
def celery_app_for(broker_url: str):
    """A Celery app with the project's configuration, talking to ``broker_url``."""
    from celery import Celery

    app = Celery("conflictmap-test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    # ``broker_url`` gives way to a CELERY_BROKER_URL environment variable (the test broker);
    # the read and write URLs do not.
    app.conf.update(broker_read_url=broker_url, broker_write_url=broker_url, result_backend=broker_url)
    return app


class PrivateWorker(WorkerProcess):
    """``tests.harness.WorkerProcess`` whose readiness ping goes through its own broker."""

    def __init__(self, *, app, **kwargs) -> None:
        super().__init__(**kwargs)
        self.app = app

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"celery worker exited with {self.proc.returncode}; see {self.log_path}")
            try:
                if self.app.control.ping(timeout=0.5):
                    return
            except Exception:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"celery worker not ready after {timeout}s; see {self.log_path}")
