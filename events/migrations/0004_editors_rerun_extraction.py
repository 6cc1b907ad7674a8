"""Editors may re-run extraction on articles (issue 3), through its own permission."""
from importlib import import_module

from django.db import migrations

editors = import_module("events.migrations.0003_editors_group")


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors._ensure_permissions(apps)
    group, _ = Group.objects.get_or_create(name=editors.GROUP)
    group.permissions.add(Permission.objects.get(content_type__app_label="ingest", codename="rerun_extraction"))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name=editors.GROUP):
        group.permissions.remove(*group.permissions.filter(codename="rerun_extraction"))


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0003_editors_group"),
        ("ingest", "0003_article_rerun_extraction_permission"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
