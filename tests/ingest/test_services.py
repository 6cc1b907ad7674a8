"""Creating, fetching and deduplicating articles (the services, on the test database)."""
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from ingest import services
from ingest.models import Article, Source
from ingest.services import Outcome
from ingest.text import Page
from tests.conftest import ON_POSTGIS
from tests.harness import Response
from tests.ingest.conftest import fixture_bytes

TEXT = "A drone struck a fuel depot near Erbil on Friday, local officials said. No casualties were reported."


@pytest.mark.smoke
@pytest.mark.django_db
def test_the_same_text_twice_is_stored_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first = services.submit_text(text=TEXT, title="Depot hit", outlet="A", origin="paste")
        again = services.submit_text(text="  a drone struck a fuel depot near Erbil on Friday -- local officials said; "
                                          "no casualties were reported ", title="Other title", outlet="B")
    assert first.status == Outcome.NEW and again.status == Outcome.DUPLICATE and again.article_id == first.article_id
    assert Article.objects.count() == 1 and len(callbacks) == 1  # one extraction queued
    article = Article.objects.get()
    assert article.status == Article.Status.FETCHED and article.language == "en" and article.content_hash


@pytest.mark.smoke
@pytest.mark.django_db
def test_the_same_article_from_a_feed_and_from_a_url_is_stored_once(django_capture_on_commit_callbacks):
    source = Source.objects.create(name="Feed", url="https://news.test/feed.xml")
    with django_capture_on_commit_callbacks() as callbacks:
        from_feed = services.submit_url(url="http://www.news.test/a/strike?utm_source=rss&utm_medium=feed",
                                        origin="feed", source=source, title="From the feed")
        from_url = services.submit_url(url="https://news.test/a/strike#top", origin="url")
    assert from_feed.status == Outcome.NEW
    assert from_url.status == Outcome.DUPLICATE and from_url.article_id == from_feed.article_id
    assert len(callbacks) == 1
    article = Article.objects.get()
    assert article.canonical_url == "https://news.test/a/strike" and article.outlet == "Feed"


@pytest.mark.smoke
@pytest.mark.django_db
def test_pasted_text_completes_an_article_whose_fetch_failed(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        queued = services.submit_url(url="https://news.test/paywalled", origin="url")
    services.record_failure(article_id=queued.article_id, stage="fetch", error="HTTP 403", final=True)
    with django_capture_on_commit_callbacks() as callbacks:
        pasted = services.submit_text(text=TEXT, url="https://news.test/paywalled?utm_source=x", title="T")
    assert pasted.status == Outcome.NEW and pasted.article_id == queued.article_id and len(callbacks) == 1
    article = Article.objects.get()
    assert article.status == Article.Status.FETCHED and article.text == TEXT and article.error == ""


@pytest.mark.smoke
@pytest.mark.django_db
def test_invalid_input_is_a_failure_with_a_reason():
    assert services.submit_url(url="javascript:alert(1)").status == Outcome.FAILED
    assert "no text" in services.submit_text(text=" \n\x00 ").reason
    assert Article.objects.count() == 0


@pytest.mark.smoke
@pytest.mark.django_db
def test_fetched_text_identical_to_another_article_makes_a_duplicate(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        kept = services.submit_text(text=TEXT, title="T")
        copy = services.submit_url(url="https://other.test/copy", origin="url")
        services.record_fetched(article_id=copy.article_id, page=Page(title="Copy", text=TEXT.upper()),
                                final_url="https://other.test/copy", decode_errors=False)
    duplicate = Article.objects.get(pk=copy.article_id)
    assert duplicate.status == Article.Status.DUPLICATE and duplicate.duplicate_of_id == kept.article_id
    assert duplicate.text == "" and duplicate.content_hash is None
    assert Article.objects.exclude(text="").count() == 1


@pytest.mark.smoke
@pytest.mark.django_db
def test_recording_is_idempotent_and_a_late_failure_does_not_undo_a_fetch(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        queued = services.submit_url(url="https://news.test/x", origin="url")
        assert services.record_fetched(article_id=queued.article_id, page=Page(text=TEXT), final_url="",
                                       decode_errors=False) == "fetched"
        assert services.record_fetched(article_id=queued.article_id, page=Page(text="other"), final_url="",
                                       decode_errors=False).startswith("skipped")
        services.record_failure(article_id=queued.article_id, stage="fetch", error="timeout", final=True)
    article = Article.objects.get()
    assert article.status == Article.Status.FETCHED and article.text == TEXT and article.error == ""
    assert len(callbacks) == 2  # the fetch, then one extraction


@pytest.mark.smoke
@pytest.mark.django_db
def test_the_language_of_a_template_does_not_override_the_script_of_the_text():
    assert services.choose_language(["en"], "قصف مدفعي على بلدة سرمين بريف إدلب الشرقي") == "ar"
    assert services.choose_language(["ar"], "قصف مدفعي على بلدة سرمين") == "ar"
    assert services.choose_language(["", ""], TEXT) == "en"


@pytest.mark.smoke
@pytest.mark.django_db
def test_stale_articles_are_queued_again(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        old = services.submit_url(url="https://news.test/old", origin="url")
        fresh = services.submit_url(url="https://news.test/fresh", origin="url")
        stuck = services.submit_text(text=TEXT)
    Article.objects.filter(pk__in=[old.article_id, stuck.article_id]).update(
        updated_at=timezone.now() - timedelta(hours=2))
    with django_capture_on_commit_callbacks() as callbacks:
        counts = services.requeue_stale_articles(older_than=timedelta(minutes=30))
    assert counts == {"fetch": 1, "extract": 1} and len(callbacks) == 2
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.requeue_stale_articles(older_than=timedelta(minutes=30)) == {"fetch": 0, "extract": 0}
    assert fresh.status == Outcome.NEW


@pytest.mark.smoke
@pytest.mark.django_db
def test_due_sources_are_claimed_once():
    now = timezone.now()
    due = Source.objects.create(name="due", url="https://a.test/f", poll_interval=10, last_polled=now - timedelta(minutes=11))
    Source.objects.create(name="recent", url="https://b.test/f", poll_interval=10, last_polled=now - timedelta(minutes=5))
    never = Source.objects.create(name="never", url="https://c.test/f")
    Source.objects.create(name="inactive", url="https://d.test/f", active=False)
    Source.objects.create(name="no feed", url="")
    assert sorted(services.claim_due_sources(now=now)) == sorted([due.pk, never.pk])
    assert services.claim_due_sources(now=now) == []


@pytest.mark.smoke
@pytest.mark.django_db
def test_pages_in_other_encodings_are_stored_as_arabic(fixture_server, settings, django_capture_on_commit_callbacks):
    """Non-UTF-8 and mislabelled pages, and one with invalid bytes (recorded, not a crash)."""
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    page = fixture_bytes("page-ar.html").decode()
    routes = {
        "/cp1256-labelled-utf8": (page.replace("{charset}", "utf-8").encode("cp1256"), "text/html; charset=utf-8"),
        "/utf8-labelled-latin1": (page.replace("{charset}", "iso-8859-1").encode(), "text/html; charset=iso-8859-1"),
        "/cp1256-meta-only": (page.replace("{charset}", "windows-1256").encode("cp1256"), "text/html"),
    }
    results = {}
    for path, (body, content_type) in routes.items():
        url = fixture_server.route(path, Response(body=body, headers={"Content-Type": content_type}))
        with django_capture_on_commit_callbacks():
            outcome = services.submit_url(url=url, origin="url")
            results[path] = services.fetch_article(article_id=outcome.article_id)
    articles = {a.url.rsplit("/", 1)[1]: a for a in Article.objects.all()}
    good = articles["cp1256-labelled-utf8"]
    assert good.status == Article.Status.FETCHED, (results, good.error)
    assert "أصيب مدنيان بجروح" in good.text and good.language == "ar" and not good.decode_errors
    assert good.title.startswith("قصف مدفعي على بلدة سرمين")
    assert good.metadata["published_date"] == "2025-01-15"
    # The same text under two more URLs: stored once, the others are duplicates of it.
    for name in ("utf8-labelled-latin1", "cp1256-meta-only"):
        assert articles[name].status == Article.Status.DUPLICATE and articles[name].duplicate_of_id == good.pk


@pytest.mark.smoke
@pytest.mark.django_db
def test_invalid_bytes_are_replaced_and_recorded_not_a_crash(fixture_server, settings, django_capture_on_commit_callbacks):
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    url = fixture_server.route("/invalid-utf8", Response(body=fixture_bytes("page-invalid-utf8.html"),
                                                         headers={"Content-Type": "text/html; charset=utf-8"}))
    with django_capture_on_commit_callbacks():
        outcome = services.submit_url(url=url, origin="url")
        assert services.fetch_article(article_id=outcome.article_id) == "fetched"
    broken = Article.objects.get()
    assert broken.status == Article.Status.FETCHED and broken.decode_errors and "\ufffd" in broken.text
    assert "قصف مدفعي استهدف الأحياء السكنية" in broken.text


@pytest.mark.smoke
@pytest.mark.django_db
def test_a_page_with_boilerplate_is_stored_as_its_article(fixture_server, settings, django_capture_on_commit_callbacks):
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    body = fixture_bytes("page-boilerplate-en.html").replace(b"{base}", fixture_server.url("").rstrip("/").encode())
    url = fixture_server.route("/news/drone-attack", Response(body=body, headers={"Content-Type": "text/html"}))
    with django_capture_on_commit_callbacks():
        outcome = services.submit_url(url=url + "?utm_source=rss", origin="url")
        services.fetch_article(article_id=outcome.article_id)
    article = Article.objects.get()
    assert article.title == "Drone attack on base in eastern Syria" and article.outlet == "Fixture News"
    assert article.text.startswith("Three drones targeted a base") and "reader42" not in article.text
    assert article.published.isoformat() == "2024-03-02T06:30:00+00:00" and article.language == "en"
    assert article.attempts == 1 and article.raw_html == ""  # KEEP_RAW_HTML is off by default


def _threads(count, target):
    barrier = threading.Barrier(count)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(target())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.skipif(not ON_POSTGIS, reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_the_same_article_submitted_at_the_same_moment_is_stored_once():
    from conflictmap.celery import app

    try:
        texts = _threads(8, lambda: services.submit_text(text=TEXT, title="race", origin="file").status)
        urls = _threads(8, lambda: services.submit_url(url="https://race.test/a?utm_source=x", origin="url").status)
    finally:
        app.control.purge()  # the tasks these queued have no worker here
    assert sorted(texts) == ["duplicate"] * 7 + ["new"]
    assert sorted(urls) == ["duplicate"] * 7 + ["new"]
    assert Article.objects.count() == 2


@pytest.mark.skipif(not ON_POSTGIS, reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_fetches_storing_the_same_text_at_the_same_moment_store_it_once():
    from conflictmap.celery import app

    try:
        ids = [services.submit_url(url=f"https://race.test/{i}", origin="url").article_id for i in range(6)]
        pending = iter(ids)
        lock = threading.Lock()

        def store():
            with lock:
                article_id = next(pending)
            return services.record_fetched(article_id=article_id, page=Page(text=TEXT), final_url="",
                                           decode_errors=False)

        results = _threads(6, store)
    finally:
        app.control.purge()
    assert sorted(results) == ["duplicate"] * 5 + ["fetched"]
    holder = Article.objects.get(status=Article.Status.FETCHED)
    assert set(Article.objects.exclude(pk=holder.pk).values_list("duplicate_of", flat=True)) == {holder.pk}


@pytest.mark.smoke
@pytest.mark.django_db
def test_a_page_that_cannot_be_read_falls_back_to_the_full_text_its_feed_carried(
        fixture_server, settings, django_capture_on_commit_callbacks):
    from tests.ingest.conftest import rss

    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    base = fixture_server.url("").rstrip("/")
    full = " ".join([TEXT] * 4)
    fixture_server.route("/feed.xml", Response(body=rss([
        {"title": "Paywalled", "link": f"{base}/paywalled", "description": full, "guid": "p1"},
        {"title": "Short", "link": f"{base}/short", "description": "Too short to stand in for the page.", "guid": "p2"},
    ]), headers={"Content-Type": "application/rss+xml"}))
    fixture_server.route("/paywalled", Response(403, b"subscribe"))
    fixture_server.route("/short", Response(403, b"subscribe"))
    source = Source.objects.create(name="Feed", url=f"{base}/feed.xml", language="en")
    with django_capture_on_commit_callbacks():
        result = services.poll_source(source_id=source.pk)
        assert result.as_dict() == {"source": "Feed", "not_modified": False, "entries": 2, "new": 2, "duplicates": 0,
                                    "failed": 0, "error": ""}
        for outcome in result.outcomes:
            services.fetch_article(article_id=outcome.article_id)
    paywalled = Article.objects.get(url=f"{base}/paywalled")
    assert paywalled.status == Article.Status.FETCHED and paywalled.text == full
    assert paywalled.metadata["text_from"] == "feed" and "HTTP 403" in paywalled.metadata["page_error"]
    assert paywalled.title == "Paywalled" and paywalled.source == source and paywalled.origin == "feed"
    short = Article.objects.get(url=f"{base}/short")
    assert short.status == Article.Status.FAILED and short.error == f"fetch: HTTP 403 from {base}/short"


@pytest.mark.smoke
@pytest.mark.django_db
def test_an_overlong_article_is_extracted_up_to_the_cap_and_says_so(settings):
    from ingest.models import Article
    from ingest.services import extract_article

    settings.EXTRACT_MAX_CHARS = 200
    head = "An airstrike hit the town of Sarmin in Idlib province on Monday, killing two people. "
    article = Article.objects.create(title="Long", text=head + "Filler text. " * 500, content_hash="c" * 64,
                                     status=Article.Status.FETCHED, language="en")
    extract_article(article_id=article.pk)
    article.refresh_from_db()
    assert article.status == Article.Status.EXTRACTED
    assert "Only the first 200 of" in article.error
    assert article.events.exists()  # the head, inside the cap, still gave its event
