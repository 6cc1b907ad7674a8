"""Benchmark of the map's API and page with 1,000,000 events (issue 7). Not a test.

    DATABASE_URL=postgis://postgres@127.0.0.1:5432/conflictmap_bench SECRET_KEY=x \\
        .venv/bin/python bench/api.py [--events 1000000] [--runs 60] [--reload] [--no-browser]

1. Loads N synthetic events (default 1,000,000) over the region (Levant, Iraq, Gulf,
   Yemen; most of them around hot spots) and five years (2020-2024) into the PostGIS
   database of DATABASE_URL with one ``INSERT ... SELECT generate_series``, unless it
   holds them already (``--reload`` to start again). They are marked
   ``extractor_version='bench'``; other rows are left alone. A dedicated database is
   best: ``createdb conflictmap_bench`` (the script runs the migrations).
2. Measures, through Django's test client (the whole stack: middleware, DRF, throttles,
   serialisation), p50/p95 of:
   - the events request for a country-sized window (Iraq's bounding box) and one month;
   - the timeline request (counts per day) for the same country over the five years, and
     for the whole region;
   each beside the bare SQL query that returns the same rows (psycopg, no Django).
3. Measures the page's first draw of 50,000 events in headless Chromium (Debian's
   chromium): from navigation to ``<body data-ready="1">`` (data fetched, parsed and
   painted), on a ``runserver`` started for the purpose on 127.0.0.1.

Only 127.0.0.1 is contacted. Prints the figures; takes a few minutes (most of it the load).
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflictmap.settings")

IRAQ = (38.8, 29.0, 48.6, 37.4)  # west, south, east, north: a country-sized window
MONTH = ("2023-03-01", "2023-03-31")
FIVE_YEARS = ("2020-01-01", "2024-12-31")

# Hot spots: (lon, lat, spread in degrees, weight, ISO2).
HOTSPOTS = [
    (44.0, 36.2, 0.8, 10, "IQ"), (44.4, 33.3, 0.8, 10, "IQ"), (42.4, 33.8, 0.7, 6, "IQ"), (43.1, 36.3, 0.6, 5, "IQ"),
    (40.1, 35.3, 0.8, 9, "SY"), (36.3, 33.5, 0.5, 7, "SY"), (37.1, 36.2, 0.6, 6, "SY"), (38.6, 33.5, 0.4, 3, "SY"),
    (35.3, 33.2, 0.3, 8, "LB"), (34.4, 31.4, 0.2, 9, "PS"), (44.2, 15.4, 0.8, 8, "YE"), (42.9, 14.8, 0.5, 6, "YE"),
    (48.0, 30.5, 1.0, 3, "IR"),
]
SUBS = [
    ("Air/drone strike", "Explosions/Remote violence", "Political violence", 30),
    ("Shelling/artillery/missile attack", "Explosions/Remote violence", "Political violence", 25),
    ("Remote explosive/landmine/IED", "Explosions/Remote violence", "Political violence", 8),
    ("Armed clash", "Battles", "Political violence", 20),
    ("Attack", "Violence against civilians", "Political violence", 10),
    ("Suicide bomb", "Explosions/Remote violence", "Political violence", 2),
    ("Abduction/forced disappearance", "Violence against civilians", "Political violence", 3),
    ("Arrests", "Strategic developments", "Strategic developments", 2),
]


def setup_django():
    import django

    if "postgis" not in os.environ.get("DATABASE_URL", "") and "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("DATABASE_URL must point at a PostGIS database (e.g. postgis://postgres@127.0.0.1:5432/conflictmap_bench)")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _weighted_sql(items, weight_index, value_sql):
    """A CASE choosing one of ``items`` by weight from the column r (uniform 0..1)."""
    total = sum(i[weight_index] for i in items)
    acc, parts = 0.0, []
    for i, item in enumerate(items):
        acc += item[weight_index] / total
        parts.append(f"WHEN r < {acc:.6f} THEN {value_sql(i, item)}")
    return "CASE " + " ".join(parts[:-1]) + f" ELSE {value_sql(len(items) - 1, items[-1])} END"


def load(n: int, reload: bool) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM events_event WHERE extractor_version = 'bench'")
        have = cur.fetchone()[0]
        if have == n and not reload:
            print(f"database already holds {n:,} bench events")
            return
        t0 = time.perf_counter()
        cur.execute("DELETE FROM events_event WHERE extractor_version = 'bench'")
        hot = _weighted_sql(HOTSPOTS, 3, lambda i, h: str(i))
        sub = _weighted_sql(SUBS, 3, lambda i, s: str(i))
        hs = "ARRAY[" + ",".join(f"ARRAY[{h[0]},{h[1]},{h[2]}]" for h in HOTSPOTS) + "]::float8[]"
        countries = "ARRAY[" + ",".join(f"'{h[4]}'" for h in HOTSPOTS) + "]"
        subs = "ARRAY[" + ",".join(f"'{s[0]}'" for s in SUBS) + "]"
        evs = "ARRAY[" + ",".join(f"'{s[1]}'" for s in SUBS) + "]"
        dis = "ARRAY[" + ",".join(f"'{s[2]}'" for s in SUBS) + "]"
        actors = "ARRAY['Islamic Resistance in Iraq','Israeli Air Force','US forces','Ansar Allah','Hezbollah','SDF','Unidentified armed group','Turkish Armed Forces']"
        cur.execute(f"""
            WITH g AS (
                SELECT i, random() AS r, random() AS r2, random() AS u1, random() AS u2, random() AS u3, random() AS scatter
                FROM generate_series(1, %s) AS i
            ), p AS (
                SELECT i, r2, u1, u2, u3, scatter, ({hot}) + 1 AS h, ({sub.replace('r <', 'r2 <')}) + 1 AS s
                FROM g
            )
            INSERT INTO events_event (
                event_date, time_precision, disorder_type, event_type, sub_event_type, actor1, assoc_actor_1,
                actor2, assoc_actor_2, civilian_targeting, country, admin1, admin2, location, point, geo_precision,
                fatalities, weapon, target, notes, confidence, review_status, evidence, locked_fields,
                extractor_version, version, created_at, updated_at
            )
            SELECT DATE '2020-01-01' + floor(u1 * 1827)::int, 1 + (u2 < 0.2)::int, ({dis})[s], ({evs})[s], ({subs})[s],
                   ({actors})[1 + floor(u3 * 8)::int], '', '', '', '',
                   CASE WHEN scatter < 0.85 THEN ({countries})[h] ELSE '' END, '', '', 'Place ' || (i %% 5000), 
                   CASE WHEN scatter < 0.85 THEN
                     ST_SetSRID(ST_MakePoint(
                       least(60, greatest(30, ({hs})[h][1] + ({hs})[h][3] * (u2 - 0.5) * 2 * sqrt(-2 * ln(greatest(u3, 1e-9))) * 0.5)),
                       least(42, greatest(12, ({hs})[h][2] + ({hs})[h][3] * (u1 - 0.5) * 2 * sqrt(-2 * ln(greatest(r2, 1e-9))) * 0.5))), 4326)
                   ELSE ST_SetSRID(ST_MakePoint(32 + u2 * 28, 12 + u3 * 30), 4326) END,
                   1 + floor(u3 * 3)::int, floor(u2 * 6)::int, 'drone', '', '', round((0.3 + 0.7 * u3)::numeric, 2)::float8,
                   CASE WHEN scatter < 0.30 THEN 'verified' WHEN scatter > 0.96 THEN 'rejected' ELSE 'unreviewed' END,
                   '{{}}'::jsonb, '[]'::jsonb, 'bench', 1, now(), now()
            FROM p
            ORDER BY 1  -- stored in date order, as articles arrive over time
        """, [n])
        cur.execute("ANALYZE events_event")
        print(f"loaded {n:,} events in {time.perf_counter() - t0:.1f} s")


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def timed(fn, runs: int) -> list[float]:
    fn()  # warm
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def row(label: str, ms: list[float], sql_ms: list[float], extra: str = "") -> None:
    print(f"  {label:<46} p50 {pct(ms, .5):7.1f} ms  p95 {pct(ms, .95):7.1f} ms   "
          f"| bare SQL p50 {pct(sql_ms, .5):6.1f} ms  p95 {pct(sql_ms, .95):6.1f} ms  {extra}")


def bench_api(runs: int) -> None:
    import psycopg2
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from rest_framework.throttling import AnonRateThrottle

    # The rate limit stays on (it is part of every request's cost) but high enough for the bench.
    AnonRateThrottle.THROTTLE_RATES = {**AnonRateThrottle.THROTTLE_RATES, "anon": "1000000/minute"}
    client = Client(HTTP_HOST="127.0.0.1")
    db = settings.DATABASES["default"]
    raw = psycopg2.connect(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None,
                           host=db["HOST"] or None, port=db["PORT"] or None)
    raw.autocommit = True
    rc = raw.cursor()

    def sql(query: str, params: list):
        def run():
            rc.execute(query, params)
            return rc.fetchall()
        return run

    w, s, e, n = IRAQ
    excluded = "review_status NOT IN ('rejected', 'merged')"
    box = "point && ST_MakeEnvelope(%s, %s, %s, %s, 4326)"
    print(f"\nAPI through Django's test client, {runs} runs each (after one warm-up):")

    url = f"/api/events/?bbox={w},{s},{e},{n}&start={MONTH[0]}&end={MONTH[1]}"
    resp = client.get(url, secure=True)
    assert resp.status_code == 200, resp.content[:300]
    body = resp.json()
    events_ms = timed(lambda: client.get(url, secure=True), runs)
    events_sql = sql(
        f"SELECT id, ST_X(point), ST_Y(point), event_date, time_precision, sub_event_type, actor1, actor2, location, admin1, "
        f"country, geo_precision, fatalities, review_status, confidence, site_id FROM events_event "
        f"WHERE {excluded} AND event_date BETWEEN %s AND %s AND {box} ORDER BY event_date DESC, id DESC LIMIT 50000",
        [MONTH[0], MONTH[1], w, s, e, n])
    rows = len(events_sql())
    row("events: Iraq bbox, one month", events_ms, timed(events_sql, runs),
        f"({body['count']:,} features, {len(resp.content) / 1024:.0f} KiB; SQL rows {rows:,})")

    def cold(url):
        def run():
            cache.clear()  # the timeline's counts are cached (5 min, keyed by the data's last change)
            return client.get(url, secure=True)
        return run

    url = f"/api/timeline/?bbox={w},{s},{e},{n}&start={MONTH[0]}&end={MONTH[1]}"
    t = client.get(url, secure=True).json()
    tl_sql = sql(f"SELECT event_date, count(*) FROM events_event WHERE {excluded} AND event_date BETWEEN %s AND %s AND {box} "
                 f"GROUP BY event_date ORDER BY event_date", [MONTH[0], MONTH[1], w, s, e, n])
    sql_ms = timed(tl_sql, runs)
    row("timeline: Iraq bbox, one month (uncached)", timed(cold(url), runs), sql_ms, f"({len(t['buckets'])} days, {t['total']:,} events)")
    row("timeline: Iraq bbox, one month (cached)", timed(lambda: client.get(url, secure=True), runs), sql_ms)

    url = f"/api/timeline/?bbox={w},{s},{e},{n}&start={FIVE_YEARS[0]}&end={FIVE_YEARS[1]}"
    t = client.get(url, secure=True).json()
    few = max(5, runs // 4)  # the long ones: fewer runs
    tl_sql = sql(f"SELECT event_date, count(*) FROM events_event WHERE {excluded} AND event_date BETWEEN %s AND %s AND {box} "
                 f"GROUP BY event_date ORDER BY event_date", [FIVE_YEARS[0], FIVE_YEARS[1], w, s, e, n])
    sql_ms = timed(tl_sql, few)
    row("timeline: Iraq bbox, five years (uncached)", timed(cold(url), few), sql_ms, f"({len(t['buckets']):,} days, {t['total']:,} events)")
    row("timeline: Iraq bbox, five years (cached)", timed(lambda: client.get(url, secure=True), runs), sql_ms)

    url = "/api/timeline/"
    t = client.get(url, secure=True).json()
    tl_sql = sql(f"SELECT event_date, count(*) FROM events_event WHERE {excluded} GROUP BY event_date ORDER BY event_date", [])
    sql_ms = timed(tl_sql, few)
    row("timeline: whole region, five years (uncached)", timed(cold(url), few), sql_ms, f"({len(t['buckets']):,} days, {t['total']:,} events)")
    row("timeline: whole region, five years (cached)", timed(lambda: client.get(url, secure=True), runs), sql_ms)
    raw.close()
    connection.close()


def window_with(n: int) -> tuple[str, str]:
    """The longest window from 2023-01-01 holding at most ``n`` public events (the first draw's data)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""
            SELECT d FROM (
                SELECT event_date AS d, sum(count(*)) OVER (ORDER BY event_date) AS c
                FROM events_event WHERE review_status NOT IN ('rejected', 'merged') AND point IS NOT NULL
                  AND event_date >= '2023-01-01' GROUP BY event_date
            ) t WHERE c <= %s ORDER BY d DESC LIMIT 1
        """, [n])
        return "2023-01-01", cur.fetchone()[0].isoformat()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_page(runs: int = 5) -> None:
    from playwright.sync_api import sync_playwright

    start, end = window_with(50_000)
    port = free_port()
    env = dict(os.environ, DEBUG="0", SECURE_SSL_REDIRECT="0", TILE_URL="", API_RATE_ANON="100000/minute", LOG_LEVEL="WARNING")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "conflictmap.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "2", "--threads", "2",
         "--timeout", "120", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        url = f"http://127.0.0.1:{port}/?start={start}&end={end}&lat=30.5&lng=42.5&zoom=5"
        print(f"\nPage: first draw of 50,000 events in headless Chromium ({start} to {end}), {runs} runs, fresh browser context each:")
        results = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                                         args=["--no-sandbox", "--disable-gpu"])
            for i in range(runs + 1):
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                page = context.new_page()
                foreign: list[str] = []
                page.on("request", lambda r: r.url.startswith(f"http://127.0.0.1:{port}/") or foreign.append(r.url))
                page.goto(url)
                page.wait_for_selector("body[data-ready]", state="attached", timeout=60_000)
                assert page.get_attribute("body", "data-ready") == "1"
                assert not foreign, foreign
                ready = float(page.get_attribute("body", "data-ready-ms"))
                page.wait_for_function("() => window.conflictmap && window.conflictmap.timelineData")
                shown = int(page.get_attribute("body", "data-shown"))
                api = page.evaluate("""() => performance.getEntriesByType('resource')
                    .filter(e => e.name.includes('/api/events/')).map(e => [e.responseEnd - e.startTime, e.encodedBodySize])""")
                if i:  # the first run warms the server and the caches
                    results.append((ready, shown, api[-1][0], api[-1][1]))
                context.close()
            browser.close()
        ready = [r[0] for r in results]
        print(f"  navigation -> 50,000 events drawn       p50 {pct(ready, .5):7.0f} ms  max {max(ready):7.0f} ms  "
              f"(shown: {results[-1][1]:,}; of which /api/events/ p50 {pct([r[2] for r in results], .5):.0f} ms, "
              f"{results[-1][3] / 1e6:.1f} MB)")
        import psycopg2
        from django.conf import settings

        db = settings.DATABASES["default"]
        raw = psycopg2.connect(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None,
                               host=db["HOST"] or None, port=db["PORT"] or None)
        rc = raw.cursor()

        def run():
            rc.execute("SELECT id, ST_X(point), ST_Y(point), event_date, time_precision, sub_event_type, actor1, actor2, location, "
                       "admin1, country, geo_precision, fatalities, review_status, confidence, site_id FROM events_event "
                       "WHERE review_status NOT IN ('rejected', 'merged') AND point IS NOT NULL AND event_date BETWEEN %s AND %s "
                       "ORDER BY event_date DESC, id DESC LIMIT 50000", [start, end])
            return rc.fetchall()
        sql_ms = timed(run, 5)
        print(f"  bare SQL for the same 50,000 rows        p50 {pct(sql_ms, .5):7.0f} ms")
        raw.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--reload", action="store_true", help="delete and load the synthetic events again")
    parser.add_argument("--no-browser", action="store_true", help="skip the page's first-draw measurement")
    args = parser.parse_args()
    setup_django()
    load(args.events, args.reload)
    bench_api(args.runs)
    if not args.no_browser:
        bench_page()


if __name__ == "__main__":
    main()
