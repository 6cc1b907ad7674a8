"""Settings come from the environment; with nothing set the project runs embedded."""
import json
import os
import secrets
import subprocess
import sys

import pytest

from tests.harness import REPO

PRODUCTION_ENV = {
    "DATABASE_URL": "postgis://conflictmap:conflictmap@127.0.0.1:5432/conflictmap",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "redis://127.0.0.1:6379/2",
    "ALLOWED_HOSTS": "conflictmap.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://conflictmap.example.org",
    "DEBUG": "0",
}

PROBE = """
import json, django
from django.conf import settings
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": str(db["NAME"]), "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "cache": settings.CACHES["default"]["BACKEND"], "debug": settings.DEBUG,
    "secure_cookies": settings.SESSION_COOKIE_SECURE, "hsts": settings.SECURE_HSTS_SECONDS,
    "broker": settings.CELERY_BROKER_URL, "acks_late": settings.CELERY_TASK_ACKS_LATE,
}))
"""


# Variables the test run itself sets, which would hide the defaults under test.
RUN_VARIABLES = {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "SECRET_KEY", "DEBUG", "CELERY_RESULT_BACKEND",
                 "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
                 "DJANGO_ALLOW_ASYNC_UNSAFE"}  # the browser tests' own switch, never a production one


def clean_environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in RUN_VARIABLES}


def settings_with(env: dict[str, str], tmp_path) -> dict:
    clean = clean_environ()
    clean.update({"DJANGO_SETTINGS_MODULE": "conflictmap.settings", "CONFLICTMAP_VAR_DIR": str(tmp_path)}, **env)
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, env=clean, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.smoke
def test_with_nothing_set_the_project_runs_embedded_on_spatialite_with_eager_tasks(tmp_path):
    conf = settings_with({}, tmp_path)
    assert conf["engine"] == "django.contrib.gis.db.backends.spatialite"
    assert conf["name"].startswith(str(tmp_path))
    assert conf["eager"] is True
    assert conf["cache"].endswith("LocMemCache")
    assert conf["debug"] is False


@pytest.mark.smoke
def test_the_embedded_mode_keeps_one_secret_key_across_restarts(tmp_path):
    settings_with({}, tmp_path)
    first = (tmp_path / "secret_key").read_text()
    settings_with({}, tmp_path)
    assert (tmp_path / "secret_key").read_text() == first and len(first) >= 50


@pytest.mark.smoke
def test_production_variables_switch_to_postgis_redis_and_secure_cookies(tmp_path):
    conf = settings_with({**PRODUCTION_ENV, "SECRET_KEY": secrets.token_urlsafe(50)}, tmp_path)
    assert conf["engine"] == "django.contrib.gis.db.backends.postgis"
    assert conf["name"] == "conflictmap"
    assert conf["eager"] is False and conf["broker"] == PRODUCTION_ENV["CELERY_BROKER_URL"]
    assert conf["cache"].endswith("RedisCache")
    assert conf["secure_cookies"] is True and conf["hsts"] >= 31536000
    assert conf["acks_late"] is True


@pytest.mark.smoke
def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    clean = clean_environ()
    clean.update(PRODUCTION_ENV, CONFLICTMAP_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="conflictmap.settings")
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, env=clean, capture_output=True, text=True)
    assert out.returncode != 0
    assert "SECRET_KEY must be set" in out.stderr


@pytest.mark.smoke
def test_check_deploy_is_clean_with_the_production_environment(tmp_path):
    env = {**clean_environ(), **PRODUCTION_ENV, "SECRET_KEY": secrets.token_urlsafe(50), "CONFLICTMAP_VAR_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                         cwd=REPO, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout
