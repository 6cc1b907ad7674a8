# conflictmap: the two commands of the README, and a few more.
.PHONY: run test setup bench vendor messages

PY := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# Embedded mode: SpatiaLite under var/, Celery eager, sample articles ingested, map served.
run:
	scripts/bootstrap.sh
	mkdir -p staticfiles var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_gazetteer
	$(PY) manage.py ingest_file data/samples
	@echo "conflictmap is running at http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/, Ctrl-C to stop)"
	$(PY) manage.py runserver --noreload $(HOST):$(PORT)

# The whole suite on PostGIS + Redis with real workers and Chromium, then the smoke subset on SpatiaLite.
test:
	scripts/test.sh $(ARGS)

setup:
	scripts/bootstrap.sh --test
	scripts/services.sh

# Benchmarks print figures; they are not tests (see README, "Performance").
bench:
	scripts/bench.sh

# Refresh the vendored front-end libraries in static/vendor from the npm registry.
vendor:
	scripts/vendor.sh

messages:
	$(PY) manage.py makemessages -l ar --ignore=.venv --ignore=node_modules
	$(PY) manage.py makemessages -d djangojs -l ar --ignore=.venv --ignore=node_modules --ignore=static/vendor
	$(PY) manage.py compilemessages --ignore=.venv
