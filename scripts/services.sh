#!/usr/bin/env bash
# Start PostgreSQL and Redis when they are not running (and leave them alone when they
# are), then make sure the conflictmap role, database and the postgis extension exist.
set -euo pipefail

as_postgres() { if [[ $(id -un) == postgres ]]; then "$@"; else runuser -u postgres -- "$@"; fi; }

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$version main$"; then
    pg_createcluster "$version" main
  fi
  echo "Starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 60); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
  pg_isready -h 127.0.0.1 -p 5432
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "Starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/conflictmap.log
  for _ in $(seq 40); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.25; done
  redis-cli -h 127.0.0.1 -p 6379 ping
fi

# The role owns its database and may create the test database. PostGIS is installed in
# template1 too, so the test database Django creates has it without superuser rights.
as_postgres psql -q -v ON_ERROR_STOP=1 -d postgres <<'SQL'
SELECT 'CREATE ROLE conflictmap LOGIN CREATEDB PASSWORD ''conflictmap'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'conflictmap')\gexec
SELECT 'CREATE DATABASE conflictmap OWNER conflictmap'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'conflictmap')\gexec
SQL
as_postgres psql -q -v ON_ERROR_STOP=1 -d template1 -c "CREATE EXTENSION IF NOT EXISTS postgis"
as_postgres psql -q -v ON_ERROR_STOP=1 -d conflictmap -c "CREATE EXTENSION IF NOT EXISTS postgis"
