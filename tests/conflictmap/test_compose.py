"""docker-compose.yml matches the settings (no Docker engine runs here, so it is read, not run)."""
import re

import pytest
import yaml

from tests.harness import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SETTINGS_SOURCE = (REPO / "conflictmap" / "settings.py").read_text()
SETTINGS_ENV_NAMES = set(re.findall(r'env_(?:str|bool|int|float|list)\("([A-Z_]+)"', SETTINGS_SOURCE)) | {
    "DATABASE_URL", "CONFLICTMAP_VAR_DIR"}
APP_SERVICES = ("web", "worker", "beat")

pytestmark = pytest.mark.smoke


def test_compose_has_the_five_services_with_health_checks():
    services = COMPOSE["services"]
    assert set(services) == {"db", "redis", "web", "worker", "beat"}
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no health check"


def test_the_database_is_postgis_on_a_named_volume():
    db = COMPOSE["services"]["db"]
    assert db["image"].startswith("postgis/postgis:")
    volume = db["volumes"][0].split(":")[0]
    assert volume in COMPOSE["volumes"]


def test_app_services_run_gunicorn_celery_worker_and_beat_from_one_image():
    services = COMPOSE["services"]
    assert services["web"]["command"][0] == "gunicorn" and "conflictmap.wsgi:application" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "conflictmap", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "conflictmap", "beat"]
    assert len({services[s]["image"] for s in APP_SERVICES}) == 1
    assert (REPO / "Dockerfile").exists()


def test_every_environment_variable_the_app_services_get_is_read_by_the_settings():
    for name in APP_SERVICES:
        env = COMPOSE["services"][name]["environment"]
        unknown = set(env) - SETTINGS_ENV_NAMES
        assert not unknown, f"{name} sets variables the settings never read: {unknown}"
        assert env["DATABASE_URL"].startswith("postgis://") and "@db:5432/" in env["DATABASE_URL"]
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/")


def test_the_example_env_file_names_only_variables_the_settings_read():
    names = {line.split("=")[0] for line in (REPO / ".env.example").read_text().splitlines()
             if line and not line.startswith("#")}
    assert names - {"POSTGRES_PASSWORD"} <= SETTINGS_ENV_NAMES
    assert {"SECRET_KEY", "ALLOWED_HOSTS"} <= names


def test_the_app_services_wait_for_healthy_db_and_redis():
    for name in APP_SERVICES:
        deps = COMPOSE["services"][name]["depends_on"]
        assert deps["db"]["condition"] == deps["redis"]["condition"] == "service_healthy"
