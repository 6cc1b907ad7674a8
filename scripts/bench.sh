#!/usr/bin/env bash
# Every benchmark, in order, as `make bench` runs them (see bench/README.md). They print
# figures; they are not tests and change nothing outside their own database.
#   1. install what is missing and start PostgreSQL and Redis (as for the tests);
#   2. make sure the database conflictmap_bench exists (owned by the conflictmap role, with
#      PostGIS); the benchmarks migrate it and load their own synthetic data into it;
#   3. run bench/extraction.py, bench/gazetteer.py, bench/api.py and bench/load.py.
# Only 127.0.0.1 is contacted. BENCH_DB=name uses another database; for a script's own
# options (fewer events, a shorter run...) run it by hand as bench/README.md shows.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --test
scripts/services.sh

as_postgres() { if [[ $(id -un) == postgres ]]; then "$@"; else runuser -u postgres -- "$@"; fi; }
db=${BENCH_DB:-conflictmap_bench}
[[ "$db" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "BENCH_DB must be a plain name" >&2; exit 2; }
as_postgres psql -q -v ON_ERROR_STOP=1 -d postgres <<SQL
SELECT 'CREATE DATABASE $db OWNER conflictmap'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db')\gexec
SQL
as_postgres psql -q -v ON_ERROR_STOP=1 -d "$db" -c "CREATE EXTENSION IF NOT EXISTS postgis"
# A bench database created earlier by hand as another role: hand it and its tables over.
as_postgres psql -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
DO $$
DECLARE r record;
BEGIN
  EXECUTE format('ALTER DATABASE %I OWNER TO conflictmap', current_database());
  FOR r IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S', 'v', 'm', 'p')
             AND pg_get_userbyid(c.relowner) <> 'conflictmap'
             AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('e', 'i', 'a'))
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO conflictmap',
                   CASE r.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                  ELSE 'TABLE' END, r.name);
  END LOOP;
END $$;
SQL

export DATABASE_URL="postgis://conflictmap:conflictmap@127.0.0.1:5432/$db"
export SECRET_KEY="bench-only-secret-key-not-for-production"
unset CELERY_BROKER_URL CACHE_URL  # each script sets up what it measures

status=0
for script in extraction gazetteer api load; do
  echo
  echo "== bench/$script.py"
  .venv/bin/python "bench/$script.py" || { echo "bench/$script.py failed ($?)"; status=1; }
done
exit $status
