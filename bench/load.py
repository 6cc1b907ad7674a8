"""Load benchmark with the production settings (issue 9). Not a test. Loopback only.

    DATABASE_URL=postgis://postgres@127.0.0.1:5432/conflictmap_bench SECRET_KEY=x \\
        .venv/bin/python bench/load.py [--events 1000000] [--seconds 20] [--max-requests 20000]
                                       [--clients 4] [--articles 300] [--skip-api] [--skip-ingest]

1. The database of DATABASE_URL (a dedicated one: ``scripts/bench.sh`` prepares
   ``conflictmap_bench``) is migrated and given N synthetic events (default 1,000,000)
   with the generator of ``bench/api.py`` (one ``INSERT ... SELECT generate_series``;
   skipped when they are there already).
2. API: ``gunicorn conflictmap.wsgi`` with 2 workers on 127.0.0.1, production settings
   (DEBUG off, HTTPS behind a proxy, a Redis cache for the rate limits and the timeline,
   ``CONN_MAX_AGE``), the anonymous rate limit raised so that the load is not refused. For
   ``/api/events/`` and then ``/api/timeline/``, ``--clients`` threads send requests back to
   back (a mix of windows: one month in each country's box, the whole region over a
   quarter...) for ``--seconds`` seconds or ``--max-requests`` requests, whichever comes
   first. Prints requests/s, the 50th and 99th percentile latency and the errors.
3. Ingestion: ``--articles`` articles (500-1,500 words, Arabic and English, from the
   generator of ``bench/extraction.py``) are written to a JSONL file and submitted with
   ``manage.py ingest_file`` to Celery workers with 1, then 2 pool processes. Prints articles/s from the first
   submission to the last article extracted in PostGIS (end to end: read, stored,
   queued, extracted, events stored).

Redis is a private ``redis-server`` on a free port with docker-compose.yml's persistence
(append-only), holding the cache, the broker and the results. Everything the script starts
(Redis, gunicorn, workers) is stopped by PID at the end, also on Ctrl-C; the articles and
events it ingested are deleted. The machine it runs on is printed with the figures.
"""
from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflictmap.settings")
BIN = Path(sys.executable).parent

COUNTRY_BOXES = {  # west, south, east, north
    "IQ": (38.8, 29.0, 48.6, 37.4), "SY": (35.7, 32.3, 42.4, 37.3), "LB": (35.1, 33.0, 36.6, 34.7),
    "YE": (42.5, 12.1, 53.1, 19.0), "PS": (34.2, 31.2, 35.6, 32.6),
}
REGION = (32.0, 12.0, 60.0, 42.0)


def bench_module(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def wait_for(predicate, timeout: float, what: str, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what}: not after {timeout}s")


class Proc:
    """A child process in its own session, stopped by its PID (group)."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.p = subprocess.Popen(args, cwd=ROOT, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                                  start_new_session=True)

    def alive(self) -> bool:
        return self.p.poll() is None

    def stop(self, timeout: float = 20) -> None:
        if self.p.poll() is not None:
            return
        os.killpg(self.p.pid, signal.SIGTERM)
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait(10)


def production_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    env.update(
        DEBUG="0", SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-only-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1,localhost", BEHIND_TLS_PROXY="1", CONN_MAX_AGE="60",
        CONFLICTMAP_VAR_DIR=str(tmp / "var"), DJANGO_SETTINGS_MODULE="conflictmap.settings",
    )
    env.update(extra)
    return env


# --- API ---------------------------------------------------------------------------------------
def api_urls(kind: str, rng: random.Random) -> list[str]:
    urls = []
    for _ in range(40):
        year, month = rng.randint(2020, 2024), rng.randint(1, 12)
        start = date(year, month, 1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        w, s, e, n = rng.choice(list(COUNTRY_BOXES.values()))
        if kind == "events":
            urls.append(f"/api/events/?bbox={w},{s},{e},{n}&start={start}&end={end}")
        else:
            country = rng.choice(list(COUNTRY_BOXES))
            urls.append(rng.choice([
                f"/api/timeline/?country={country}",
                f"/api/timeline/?bbox={w},{s},{e},{n}&start={year}-01-01&end={year}-12-31",
                f"/api/timeline/?bbox={REGION[0]},{REGION[1]},{REGION[2]},{REGION[3]}",
                f"/api/timeline/?country={country}&sub_event_type=Air%2Fdrone%20strike",
            ]))
    return urls


def hammer(port: int, urls: list[str], clients: int, seconds: float, max_requests: int) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    sizes: list[int] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    sent = [0]

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < stop_at:
            with lock:
                if sent[0] >= max_requests:
                    return
                sent[0] += 1
            url = rng.choice(urls)
            t0 = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                conn.request("GET", url, headers={"X-Forwarded-Proto": "https", "Accept-Encoding": "identity"})
                resp = conn.getresponse()
                body = resp.read()
                conn.close()
                status = resp.status
            except (OSError, http.client.HTTPException) as exc:
                status, body = type(exc).__name__, b""
            elapsed = time.perf_counter() - t0
            with lock:
                if status == 200:
                    latencies.append(elapsed * 1000)
                    sizes.append(len(body))
                else:
                    errors[str(status)] = errors.get(str(status), 0) + 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {"requests": len(latencies), "wall": wall, "rps": len(latencies) / wall if wall else 0,
            "p50": pct(latencies, 0.5), "p99": pct(latencies, 0.99), "errors": errors,
            "kib": (sum(sizes) / len(sizes) / 1024) if sizes else 0}


def bench_api(args, tmp: Path, redis_port: int) -> None:
    port = free_port()
    cache_db = f"redis://127.0.0.1:{redis_port}/2"  # as in docker-compose.yml: the cache in Redis
    # Both DRF throttles count anonymous clients (the "user" one by address too): both raised.
    env = production_env(tmp, CACHE_URL=cache_db, API_RATE_ANON="100000000/minute", API_RATE_USER="100000000/minute",
                         LOG_LEVEL="WARNING")
    web = Proc([str(BIN / "gunicorn"), "conflictmap.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                "--timeout", "120", "--log-level", "warning"], env, tmp / "gunicorn.log")
    try:
        def healthy():
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz", headers={"X-Forwarded-Proto": "https"})
                return conn.getresponse().status == 200
            except OSError:
                return False

        wait_for(healthy, 60, "gunicorn")
        rng = random.Random(9)
        print(f"\nAPI: gunicorn, 2 sync workers, production settings, {args.clients} clients back to back, "
              f"at most {args.seconds:.0f} s or {args.max_requests:,} requests per endpoint:")
        for kind in ("events", "timeline"):
            urls = api_urls(kind, rng)
            hammer(port, urls[:4], 2, 5, 8)  # warm: connections, caches, query plans
            r = hammer(port, urls, args.clients, args.seconds, args.max_requests)
            print(f"  /api/{kind}/  {r['requests']:6,} requests in {r['wall']:5.1f} s = {r['rps']:6.1f} req/s   "
                  f"p50 {r['p50']:7.1f} ms   p99 {r['p99']:7.1f} ms   (mean body {r['kib']:.0f} KiB; "
                  f"errors {r['errors'] or 'none'})")
    finally:
        web.stop()


# --- Ingestion -----------------------------------------------------------------------------------
def write_articles(n: int, path: Path, tag: str) -> None:
    corpus = bench_module("extraction")
    rng = random.Random(17)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            lang = "ar" if i % 2 == 0 else "en"
            # Published in 2025, after the synthetic events (2020-2024): the articles' events are
            # looked up against the million (fusion) but never merged into them.
            a = corpus.make_article(rng, lang, date(2025, 6, 1) + timedelta(days=rng.randint(0, 180)))
            # A line of its own makes every article's text (and content hash) unique.
            text = a["text"] + f"\n\n[{tag} {i}]"
            f.write(json.dumps({"id": f"{tag}-{i}", "title": a["title"], "text": text,
                                "published": a["published"].isoformat(), "language": lang,
                                "outlet": "bench"}, ensure_ascii=False) + "\n")


def start_redis(tmp: Path) -> tuple[Proc, int]:
    """A private redis-server with docker-compose.yml's persistence (append-only), on a free port."""
    redis_dir = tmp / "redis"
    redis_dir.mkdir()
    port = free_port()
    redis = Proc(["redis-server", "--appendonly", "yes", "--port", str(port), "--bind", "127.0.0.1", "--dir",
                  str(redis_dir), "--daemonize", "no"], dict(os.environ), tmp / "redis.log")
    wait_for(lambda: subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True,
                                    text=True).stdout.strip() == "PONG", 20, "redis")
    return redis, port


def bench_ingest(args, tmp: Path, rport: int) -> None:
    import psycopg2
    from django.conf import settings

    db = settings.DATABASES["default"]
    conn = psycopg2.connect(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None,
                            host=db["HOST"] or None, port=db["PORT"] or None)
    conn.autocommit = True
    cur = conn.cursor()

    def clean() -> None:
        """Remove what this bench ingested (its articles, the events they made), so reruns start alike."""
        from django.db import connection as django_connection

        from events.models import Event
        from ingest.models import Article

        mine = Article.objects.filter(outlet="bench", external_id__startswith="bench")
        Event.objects.filter(sources__article__in=mine).exclude(extractor_version="bench").delete()
        mine.delete()
        django_connection.close()

    clean()
    broker = f"redis://127.0.0.1:{rport}/0"
    try:
        env = production_env(tmp, CELERY_BROKER_URL=broker, CELERY_RESULT_BACKEND=f"redis://127.0.0.1:{rport}/1",
                             CACHE_URL=f"redis://127.0.0.1:{rport}/2", LOG_LEVEL="WARNING")
        print(f"\nIngestion end to end ({args.articles} articles of 500-1,500 words, half Arabic, half English): "
              "ingest_file -> PostGIS -> Redis -> Celery extract_article -> events in PostGIS")
        for concurrency in (1, 2):
            tag = f"bench{concurrency}-{int(time.time())}"
            path = tmp / f"{tag}.jsonl"
            write_articles(args.articles, path, tag)
            worker = Proc([str(BIN / "celery"), "-A", "conflictmap", "worker", f"--concurrency={concurrency}",
                           "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat",
                           "-n", f"bench{concurrency}-{os.getpid()}@%h"], env, tmp / f"worker{concurrency}.log")
            try:
                # Warm each pool process (gazetteer and lexicons loaded) with articles not counted.
                warm = tmp / f"{tag}-warm.jsonl"
                write_articles(concurrency * 2, warm, f"bench-warm{concurrency}-{int(time.time())}")
                subprocess.run([sys.executable, "manage.py", "ingest_file", "--timeout", "300", str(warm)], cwd=ROOT,
                               env=env, check=True, capture_output=True, timeout=400)
                t0 = time.perf_counter()
                subprocess.run([sys.executable, "manage.py", "ingest_file", "--no-wait", str(path)], cwd=ROOT, env=env,
                               check=True, capture_output=True, timeout=600)
                submitted = time.perf_counter() - t0

                def done():
                    cur.execute("SELECT count(*) FILTER (WHERE status IN ('extracted', 'failed')), "
                                "count(*) FILTER (WHERE status = 'failed') FROM ingest_article WHERE external_id LIKE %s",
                                [f"{tag}-%"])
                    finished, failed = cur.fetchone()
                    return (finished, failed) if finished >= args.articles else None

                finished, failed = wait_for(done, 1800, "every article extracted", 0.1)
                wall = time.perf_counter() - t0
                cur.execute("SELECT count(DISTINCT es.event_id) FROM events_eventsource es JOIN ingest_article a "
                            "ON a.id = es.article_id WHERE a.external_id LIKE %s", [f"{tag}-%"])
                events = cur.fetchone()[0]
                # The pipeline alone: from the first article stored to the last one extracted.
                cur.execute("SELECT extract(epoch FROM max(coalesce(extracted_at, updated_at)) - min(created_at)) "
                            "FROM ingest_article WHERE external_id LIKE %s", [f"{tag}-%"])
                pipeline = float(cur.fetchone()[0])
                print(f"  {concurrency} worker process{'es' if concurrency > 1 else ''}: {args.articles} articles in "
                      f"{wall:6.1f} s = {args.articles / wall:5.2f} articles/s end to end; "
                      f"{args.articles / pipeline:5.2f} articles/s from the first stored to the last extracted "
                      f"(submission {submitted:.1f} s incl. the command's start; {events:,} events; {failed} failed)")
            finally:
                worker.stop()
    finally:
        clean()
        conn.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="per endpoint")
    parser.add_argument("--max-requests", type=int, default=20000, help="per endpoint")
    parser.add_argument("--clients", type=int, default=4, help="concurrent connections")
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--skip-api", action="store_true")
    parser.add_argument("--skip-ingest", action="store_true")
    args = parser.parse_args(argv)

    api = bench_module("api")
    api.setup_django()  # checks DATABASE_URL is PostGIS, migrates
    from django.db import connection

    print(f"machine: {os.cpu_count()} CPUs, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; "
          f"database {connection.settings_dict['NAME']} on {connection.settings_dict['HOST']}")
    api.load(args.events, reload=False)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM events_event")
        print(f"events in the database: {cur.fetchone()[0]:,}")
    connection.close()
    tmp = Path(tempfile.mkdtemp(prefix="cm-bench-"))
    redis = None
    try:
        redis, redis_port = start_redis(tmp)
        if not args.skip_api:
            bench_api(args, tmp, redis_port)
        if not args.skip_ingest:
            bench_ingest(args, tmp, redis_port)
    finally:
        if redis is not None:
            redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
