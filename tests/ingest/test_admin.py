"""The admin: status and errors in plain sight, paste text, add a URL, re-run extraction, all escaped."""
import pytest
from django.urls import reverse

from ingest import services
from ingest.models import Article, Source

pytestmark = [pytest.mark.smoke, pytest.mark.django_db]
XSS = '<script>alert("x")</script>'


@pytest.fixture(autouse=True)
def plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False  # the test client speaks plain HTTP


def test_pasted_text_becomes_an_article_shown_escaped_right_to_left(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(reverse("admin:ingest_article_paste"), {
            "title": f"غارة {XSS}", "text": f"أصيب مدنيان بجروح جراء قصف مدفعي استهدف الأحياء السكنية في بلدة سرمين بريف إدلب الشرقي. {XSS} <a href=\"javascript:alert(1)\">x</a>",
            "outlet": "Desk", "published": "2025-01-15", "language": "", "url": "",
        })
    article = Article.objects.get()
    assert response.status_code == 302 and response.url == reverse("admin:ingest_article_change", args=[article.pk])
    assert article.origin == "paste" and article.language == "ar" and article.status == Article.Status.FETCHED
    assert article.metadata["published_date"] == "2025-01-15" and len(callbacks) == 1  # extraction queued
    page = admin_client.get(response.url).content.decode()
    assert XSS not in page and 'href="javascript:alert(1)"' not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert 'dir="auto" class="article-text"' in page
    # the same text again: recognised, not stored twice
    admin_client.post(reverse("admin:ingest_article_paste"), {"title": "again", "text": article.text})
    assert Article.objects.count() == 1


def test_adding_a_url_queues_a_fetch(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(reverse("admin:ingest_article_add_url"),
                                     {"url": "https://news.test/a?utm_source=x", "outlet": "", "language": "en"})
    article = Article.objects.get()
    assert response.status_code == 302 and article.status == Article.Status.QUEUED and len(callbacks) == 1
    assert article.canonical_url == "https://news.test/a"
    response = admin_client.post(reverse("admin:ingest_article_add_url"), {"url": "javascript:alert(1)"}, follow=True)
    assert "not an http(s) URL" in response.content.decode() and Article.objects.count() == 1


def test_failures_are_prominent_and_escaped_in_the_list_and_the_article(admin_client):
    ok = services.submit_text(text="A drone struck a depot near Erbil on Friday.", title="fine").article_id
    bad = services.submit_url(url="https://news.test/gone").article_id
    services.record_failure(article_id=bad, stage="fetch", error=f"HTTP 404 {XSS}", final=True)
    changelist = admin_client.get(reverse("admin:ingest_article_changelist")).content.decode()
    assert "fetch: HTTP 404 &lt;script&gt;" in changelist and XSS not in changelist
    assert "#dc3545" in changelist  # the failed status badge and the error in red
    for query in ("?status__exact=failed", "?origin__exact=url", "?language__exact=en", "?q=gone", "?decode_errors__exact=1"):
        assert admin_client.get(reverse("admin:ingest_article_changelist") + query).status_code == 200, query
    failed_only = admin_client.get(reverse("admin:ingest_article_changelist") + "?status__exact=failed").content.decode()
    assert f"/admin/ingest/article/{bad}/change/" in failed_only and f"/admin/ingest/article/{ok}/change/" not in failed_only
    detail = admin_client.get(reverse("admin:ingest_article_change", args=[bad])).content.decode()
    assert "border:2px solid #dc3545" in detail and "HTTP 404 &lt;script&gt;" in detail


def test_rerun_extraction_and_retry_actions(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        with_text = services.submit_text(text="A drone struck a depot near Erbil on Friday.").article_id
        without = services.submit_url(url="https://news.test/x").article_id
    services.record_failure(article_id=without, stage="fetch", error="HTTP 500", final=True)
    url = reverse("admin:ingest_article_changelist")
    with django_capture_on_commit_callbacks() as callbacks:
        admin_client.post(url, {"action": "rerun_extraction", "_selected_action": [with_text, without]})
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks() as callbacks:
        admin_client.post(url, {"action": "retry", "_selected_action": [without]})
    assert len(callbacks) == 1 and Article.objects.get(pk=without).status == Article.Status.QUEUED


def test_the_add_button_leads_to_the_paste_form_and_sources_are_managed(admin_client):
    assert admin_client.get(reverse("admin:ingest_article_add")).url == reverse("admin:ingest_article_paste")
    assert "Add a URL" in admin_client.get(reverse("admin:ingest_article_changelist")).content.decode()
    Source.objects.create(name="Feed", url="https://news.test/feed.xml", last_error=f"refused {XSS}")
    page = admin_client.get(reverse("admin:ingest_source_changelist")).content.decode()
    assert "refused &lt;script&gt;" in page and XSS not in page


def test_the_forms_need_the_add_permission(client, django_user_model):
    user = django_user_model.objects.create_user("viewer", password="pw-not-used-elsewhere", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:ingest_article_paste")).status_code == 403
    assert client.post(reverse("admin:ingest_article_add_url"), {"url": "https://news.test/a"}).status_code == 403
    assert Article.objects.count() == 0


@pytest.mark.smoke
@pytest.mark.django_db
def test_the_paste_and_add_url_pages_say_what_happens_to_the_article(admin_client):
    paste = admin_client.get(reverse("admin:ingest_article_paste")).content.decode()
    assert "checked against the articles already known" in paste and 'value="Save and extract"' in paste
    add = admin_client.get(reverse("admin:ingest_article_add_url")).content.decode()
    assert "private and internal addresses are refused" in add and 'value="Fetch"' in add
