"""The Editors group, created by a migration, has exactly what editors need."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from .factories import make_editor, plain_http  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.smoke, pytest.mark.usefixtures("plain_http")]


def test_the_group_has_exactly_the_editors_permissions():
    perms = {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name="Editors").permissions.all()}
    assert perms == {
        "events.view_event", "events.change_event", "events.merge_event",
        "events.view_site", "events.change_site",
        "events.view_place", "events.change_place",
        "events.view_aliassuggestion", "events.change_aliassuggestion",
        "ingest.view_article", "ingest.view_source", "ingest.rerun_extraction",
    }


def test_an_editor_can_change_and_merge_events_but_not_delete_articles_or_manage_users():
    editor = make_editor()
    assert editor.has_perm("events.change_event") and editor.has_perm("events.merge_event")
    assert editor.has_perm("ingest.view_article")
    for forbidden in ("ingest.delete_article", "ingest.change_article", "events.delete_event", "events.add_event",
                      "auth.add_user", "auth.change_user", "auth.delete_user", "auth.change_group"):
        assert not editor.has_perm(forbidden), forbidden


def test_editors_cannot_open_user_administration(client):
    editor = make_editor()
    client.force_login(editor)
    assert client.get("/admin/auth/user/").status_code == 403
    assert client.get("/admin/auth/user/add/").status_code == 403
    assert client.get("/admin/auth/group/").status_code == 403


def test_an_editor_can_re_run_extraction_on_articles_from_the_admin(client):
    from ingest.models import Article

    article = Article.objects.create(title="t", text="Airstrike hit Homs on Monday.", content_hash="x" * 64,
                                     status=Article.Status.EXTRACTED)
    client.force_login(make_editor())
    page = client.get("/admin/ingest/article/")
    assert page.status_code == 200
    assert b'value="rerun_extraction"' in page.content
    response = client.post("/admin/ingest/article/", {"action": "rerun_extraction", "_selected_action": [article.pk]},
                           follow=True)
    assert response.status_code == 200
    assert "Extraction queued for 1 article(s)" in [str(m) for m in response.context["messages"]][0]
