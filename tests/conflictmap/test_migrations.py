"""The models and their migrations agree, and migrations apply on the database in use."""
import pytest
from django.core.management import call_command
from django.db import connection


@pytest.mark.smoke
@pytest.mark.django_db
def test_no_model_change_is_missing_a_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.smoke
@pytest.mark.django_db
def test_migrations_created_the_spatial_tables_with_spatial_indexes():
    tables = connection.introspection.table_names()
    for table in ("events_event", "events_site", "events_place", "ingest_article", "ingest_source"):
        assert table in tables
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "events_event")
    spatial = [c for c in constraints.values() if c["columns"] == ["point"] and c["index"]]
    if connection.vendor == "postgresql":
        assert any(c["type"] == "gist" for c in spatial)
    else:  # SpatiaLite keeps its R*Tree index in a side table
        assert "idx_events_event_point" in tables
