#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it:
#   1. install what is missing and start PostgreSQL and Redis (scripts/bootstrap.sh, services.sh);
#   2. every test on PostGIS + Redis, with real Celery worker processes and headless Chromium;
#   3. the smoke subset again on the embedded SpatiaLite database with Celery eager.
# Extra arguments go to both pytest runs (e.g. `make test ARGS="-k gazetteer"`).
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --test || exit 1
scripts/services.sh || exit 1

reports=$(mktemp -d)
export SECRET_KEY="test-only-secret-key-not-for-production"
# The test servers speak plain HTTP on 127.0.0.1: no HTTPS redirect or secure-only cookies
# there. The production values are tested by tests/conflictmap/test_settings.py.
export SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 SECURE_HSTS_SECONDS=0

echo "== PostGIS + Redis: the whole suite"
DATABASE_URL="postgis://conflictmap:conflictmap@127.0.0.1:5432/conflictmap" \
CELERY_BROKER_URL="redis://127.0.0.1:6379/14" \
CONFLICTMAP_VAR_DIR="$reports/var-postgis" \
  .venv/bin/pytest -p no:cacheprovider --junitxml="$reports/postgis.xml" "$@"
postgis=$?

echo "== SpatiaLite (embedded mode): the smoke subset"
env -u DATABASE_URL -u CELERY_BROKER_URL -u CACHE_URL CONFLICTMAP_VAR_DIR="$reports/var-spatialite" \
  .venv/bin/pytest -p no:cacheprovider -m smoke --junitxml="$reports/spatialite.xml" "$@"
spatialite=$?

# One closing line for both runs. pytest exits 5 when a run selects no test: not a failure
# of the smoke pass while it is being filled, but the totals must still count something.
.venv/bin/python - "$reports" "$postgis" "$spatialite" <<'PY'
import sys, xml.etree.ElementTree as ET
from pathlib import Path
reports, codes = Path(sys.argv[1]), [int(c) for c in sys.argv[2:]]
tot = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
for name in ("postgis.xml", "spatialite.xml"):
    path = reports / name
    if path.exists():
        for suite in ET.parse(path).getroot().iter("testsuite"):
            for k in tot:
                tot[k] += int(suite.get(k, 0))
failed = tot["failures"] + tot["errors"]
passed = tot["tests"] - failed - tot["skipped"]
print(f"total: {passed} passed, {failed} failed, {tot['skipped']} skipped")
bad = any(c not in (0, 5) for c in codes) or failed or passed == 0
sys.exit(1 if bad else 0)
PY
