"""The Editors group, with exactly the permissions the editors' workflow needs.

Editors review what the extractor produced: they view and correct events (and merge
duplicates), sites, places and alias suggestions, and read the articles and sources the
events come from. They cannot add or delete events, delete articles, or administer users:
none of those permissions is granted here.

Staff status is still needed to enter the admin: create an editor with
``is_staff=True`` and add them to this group.
"""
from django.db import migrations

GROUP = "Editors"

PERMISSIONS = {
    "events": [
        "view_event", "change_event", "merge_event",
        "view_site", "change_site",
        "view_place", "change_place",
        "view_aliassuggestion", "change_aliassuggestion",
    ],
    "ingest": ["view_article", "view_source"],
}


def _ensure_permissions(apps) -> None:
    """Permissions are normally created after the last migration; create them now."""
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes

    for label in ("events", "ingest"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_contenttypes(app_config, verbosity=0, apps=apps)
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None


def create_editors(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    _ensure_permissions(apps)
    group, _ = Group.objects.get_or_create(name=GROUP)
    wanted = []
    for app_label, codenames in PERMISSIONS.items():
        found = list(Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
        missing = set(codenames) - {p.codename for p in found}
        if missing:
            raise RuntimeError(f"permissions missing for the Editors group: {sorted(missing)}")
        wanted += found
    group.permissions.set(wanted)


def remove_editors(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("ingest", "0001_initial"),
        ("events", "0002_eventsource_extracted_merged_from_review_queue"),
    ]

    operations = [migrations.RunPython(create_editors, remove_editors)]
