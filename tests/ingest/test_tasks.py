"""The ingestion tasks in a real Celery worker, through Redis, against a real HTTP server.

Feeds polled end to end, failures recorded on their articles, two workers storing the
same article once, and a worker SIGKILLed in the middle of a fetch losing nothing.
"""
import threading
import time

import pytest

from events.models import Event, EventSource
from ingest import services, tasks
from ingest.models import Article, Source
from ingest.selectors import TERMINAL
from tests.harness import Response
from tests.ingest.conftest import article_html, fixture_bytes, rss, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
HTML = {"Content-Type": "text/html; charset=utf-8"}


def settled(ids, statuses=TERMINAL):
    return lambda: Article.objects.filter(pk__in=ids, status__in=statuses).count() == len(ids)


def requests_to(server, path):
    return [r for r in server.requests if r[1].split("?")[0] == path]


def wait_for_workers(count: int) -> None:
    from conflictmap.celery import app

    wait_until(lambda: len(app.control.ping(timeout=0.5) or []) >= count, timeout=30, message=f"{count} workers")


class FeedSite:
    """A news site on the fixture server: a feed whose entries can be added, and its pages."""

    def __init__(self, server):
        self.server = server
        self.base = server.url("").rstrip("/")
        self.items: list[dict] = []
        self.version = 0
        server.route("/feed.xml", self.feed)

    def feed(self, handler):
        etag = f'"v{self.version}"'
        if handler.headers.get("If-None-Match") == etag:
            return Response(304, headers={"ETag": etag})
        body = rss(self.items, link=self.base + "/")
        return Response(body=body, headers={"Content-Type": "application/rss+xml", "ETag": etag,
                                            "Last-Modified": "Sat, 02 Mar 2024 10:00:00 GMT"})

    def add(self, path, title, html: bytes, published="Sat, 02 Mar 2024 09:30:00 +0300", link_suffix=""):
        self.server.route(path, Response(body=html, headers=HTML))
        self.items.append({"title": title, "link": self.base + path + link_suffix, "guid": path,
                           "pubDate": published, "description": title})
        self.version += 1


def test_a_feed_with_new_and_already_seen_entries_and_a_conditional_get(start_worker, fixture_server):
    site = FeedSite(fixture_server)
    site.add("/news/drone-attack", "Drone attack",
             fixture_bytes("page-boilerplate-en.html").replace(b"{base}", site.base.encode()),
             link_suffix="?utm_source=rss&utm_medium=feed")
    site.add("/news/shelling-idlib", "قصف مدفعي",
             fixture_bytes("page-ar.html").replace(b"{charset}", b"utf-8"), published="Wed, 15 Jan 2025 14:00:00 +0300")
    site.add("/news/airstrike-mosul", "Airstrike in Mosul", article_html(
        "Airstrike hits building in Mosul",
        ["An airstrike hit a building used by militants in Mosul on Friday, killing four people, officials said.",
         "Rescue teams searched the rubble for survivors until the evening."],
        published="2024-03-01T18:00:00+03:00").encode())
    source = Source.objects.create(name="Fixture News", url=site.base + "/feed.xml", poll_interval=5)
    start_worker()

    # Celery beat's task: the source was never polled, so it is due.
    assert tasks.poll_due_sources.delay().get(timeout=30)["polled"] == 1
    wait_until(lambda: Article.objects.filter(status=Article.Status.EXTRACTED).count() == 3, timeout=60,
               message="3 articles extracted")
    articles = {a.canonical_url.rsplit("/", 1)[1]: a for a in Article.objects.all()}
    assert set(articles) == {"drone-attack", "shelling-idlib", "airstrike-mosul"}  # no utm_ in the key
    drone = articles["drone-attack"]
    assert drone.origin == "feed" and drone.source == source and drone.outlet == "Fixture News"
    assert drone.title == "Drone attack on base in eastern Syria" and "reader42" not in drone.text
    assert articles["shelling-idlib"].language == "ar" and articles["shelling-idlib"].metadata["published_date"] == "2025-01-15"
    # An article about an airstrike in a known city gives at least one event, on the map.
    mosul = articles["airstrike-mosul"]
    events = list(Event.objects.filter(sources__article=mosul))
    assert events and any(e.point is not None and 35 < e.point.y < 37 and 42 < e.point.x < 44 for e in events), events
    assert all(a.extractor_version not in ("", "none") for a in articles.values())
    source.refresh_from_db()
    assert source.etag == '"v3"' and source.last_error == "" and source.last_polled is not None

    # A new entry: one new article; the three already seen are not fetched again.
    site.add("/news/roadside-bomb", "Roadside bomb", article_html(
        "Roadside bomb hits patrol", ["A roadside bomb struck an army patrol in Tarmiyah north of Baghdad on Tuesday, "
                                      "wounding three soldiers, the security media cell said."]).encode())
    result = tasks.poll_source.delay(source.pk).get(timeout=30)
    assert (result["entries"], result["new"], result["duplicates"], result["failed"]) == (4, 1, 3, 0)
    wait_until(lambda: Article.objects.filter(status=Article.Status.EXTRACTED).count() == 4, timeout=60)
    for path in ("/news/drone-attack", "/news/shelling-idlib", "/news/airstrike-mosul", "/news/roadside-bomb"):
        assert len(requests_to(fixture_server, path)) == 1, path

    # Nothing changed: the feed answers 304 to the conditional GET, nothing is parsed or queued.
    result = tasks.poll_source.delay(source.pk).get(timeout=30)
    assert result["not_modified"] and result["new"] == 0
    last_feed_request = requests_to(fixture_server, "/feed.xml")[-1]
    assert last_feed_request[2]["If-None-Match"] == '"v4"'
    assert last_feed_request[2]["If-Modified-Since"] == "Sat, 02 Mar 2024 10:00:00 GMT"
    assert Article.objects.count() == 4


def test_feeds_that_are_hostile_or_broken_are_refused_and_recorded_on_the_source(start_worker, fixture_server):
    base = fixture_server.url("").rstrip("/").encode()
    sources = {}
    for name in ("feed-billion-laughs.xml", "feed-external-entity.xml", "feed-malformed.xml"):
        url = fixture_server.route(f"/{name}", Response(body=fixture_bytes(name).replace(b"{base}", base),
                                                        headers={"Content-Type": "application/xml"}))
        sources[name] = Source.objects.create(name=name, url=url)
    big = fixture_server.route("/big.xml", Response(chunks=[b"<rss>" + b" " * 100_000] * 30,
                                                    headers={"Content-Type": "application/xml"}))
    sources["big"] = Source.objects.create(name="big", url=big)
    start_worker(FETCH_MAX_BYTES="1000000")
    started = time.monotonic()
    results = {name: tasks.poll_source.delay(s.pk) for name, s in sources.items()}
    results = {name: r.get(timeout=30) for name, r in results.items()}
    assert time.monotonic() - started < 20
    for name, source in sources.items():
        source.refresh_from_db()
        assert source.last_error and results[name]["error"], name
    assert "entit" in sources["feed-billion-laughs.xml"].last_error
    assert "entit" in sources["feed-external-entity.xml"].last_error
    assert "not a readable feed" in sources["feed-malformed.xml"].last_error
    assert "too large" in sources["big"].last_error
    assert Article.objects.count() == 0


def test_every_failure_is_visible_on_its_article(start_worker, fixture_server):
    calls = {"flaky": 0}

    def flaky(handler):
        calls["flaky"] += 1
        if calls["flaky"] == 1:
            return Response(503, b"busy")
        return Response(body=article_html("Back", ["Shelling hit Sarmin on Wednesday, wounding two civilians."]).encode(),
                        headers=HTML)

    routes = {
        "/big": Response(body=b"<p>" + b"x" * 5000 + b"</p>", headers=HTML),
        "/slow": Response(body=b"<p>late</p>", headers=HTML, delay=4),
        "/to-metadata": Response(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}),
        "/to-private": Response(302, headers={"Location": "http://10.0.0.5/admin"}),
        "/missing": Response(404, b"not found"),
        "/image": Response(body=b"\x89PNG", headers={"Content-Type": "image/png"}),
        "/error": Response(500, b"oops"),
        "/empty": Response(body=b"<html><body><nav></nav></body></html>", headers=HTML),
        "/flaky": flaky,
    }
    urls = {path: fixture_server.route(path, response) for path, response in routes.items()}
    urls["localhost"] = fixture_server.url("/big").replace("127.0.0.1", "localhost")
    start_worker(FETCH_MAX_BYTES="2000", FETCH_TIMEOUT="1", FETCH_ALLOWED_PRIVATE_HOSTS="127.0.0.1")
    ids = {name: services.submit_url(url=url, origin="url").article_id for name, url in urls.items()}
    wait_until(settled(ids.values()), timeout=90, message="every article settled")
    articles = {name: Article.objects.get(pk=pk) for name, pk in ids.items()}
    expected = {
        "/big": ("too large", 1),
        "/slow": ("timeout", 3),  # retried twice (tests/ingest/worker_settings.py), then failed
        "/to-metadata": ("169.254.169.254, a cloud metadata address", 1),
        "/to-private": ("10.0.0.5, a private address", 1),
        "localhost": ("localhost resolves to 127.0.0.1, a loopback address", 1),
        "/missing": ("HTTP 404", 1),
        "/image": ("unsupported content type 'image/png'", 1),
        "/error": ("HTTP 500", 3),
        "/empty": ("no article text", 1),
    }
    for name, (message, attempts) in expected.items():
        article = articles[name]
        assert article.status == Article.Status.FAILED, (name, article.status, article.error)
        assert message in article.error and article.error.startswith("fetch: "), (name, article.error)
        assert article.attempts == attempts, (name, article.attempts, article.error)
    assert articles["/flaky"].status == Article.Status.EXTRACTED and articles["/flaky"].attempts == 2
    assert articles["/flaky"].error == ""
    assert not requests_to(fixture_server, "/latest/meta-data/")


def test_the_same_article_fetched_by_two_workers_at_once_is_stored_once(start_worker, fixture_server):
    page = article_html("Rockets on Victory base", [
        "Two rockets were fired early on Wednesday at the Victory base complex near Baghdad International Airport, "
        "Iraqi security officials said. One landed inside the complex without exploding."]).encode()
    started = {}

    def slow_page(handler):
        started.setdefault(handler.path, []).append(time.monotonic())
        return Response(body=page, headers=HTML, delay=3.0)

    for path in ("/copy-a", "/copy-b", "/once"):
        fixture_server.route(path, slow_page)
    start_worker(FETCH_TIMEOUT="10")
    start_worker(FETCH_TIMEOUT="10")
    wait_for_workers(2)

    # Two URLs, one text, fetched at the same moment by two workers: the text is stored once.
    a = services.submit_url(url=fixture_server.url("/copy-a"), origin="url").article_id
    b = services.submit_url(url=fixture_server.url("/copy-b"), origin="url").article_id
    wait_until(settled([a, b]), timeout=60)
    assert abs(started["/copy-a"][0] - started["/copy-b"][0]) < 2.5  # both in flight together
    statuses = sorted(Article.objects.filter(pk__in=[a, b]).values_list("status", flat=True))
    assert statuses == [Article.Status.DUPLICATE, Article.Status.EXTRACTED]
    holder = Article.objects.get(pk__in=[a, b], status=Article.Status.EXTRACTED)
    assert Article.objects.get(pk__in=[a, b], status=Article.Status.DUPLICATE).duplicate_of == holder

    # One article, its fetch delivered twice (as after a redelivery): fetched by both, stored once.
    once = services.submit_url(url=fixture_server.url("/once"), origin="url").article_id
    tasks.fetch_article.delay(once)
    wait_until(lambda: len(started.get("/once", [])) == 2, timeout=30, message="both fetches in flight")
    wait_until(settled([once]), timeout=60)
    time.sleep(1.0)  # let the slower of the two finish and find the article already fetched
    article = Article.objects.get(pk=once)
    assert article.status == Article.Status.DUPLICATE and article.duplicate_of == holder  # same text as copy-a/b
    assert article.attempts == 2
    assert Article.objects.exclude(text="").count() == 1
    links = list(EventSource.objects.filter(article=holder).values_list("event_id", flat=True))
    assert len(links) == len(set(links))


def test_a_worker_killed_mid_fetch_loses_nothing_and_does_nothing_twice(start_worker, fixture_server):
    release = threading.Event()
    hits = []

    def page(handler):
        hits.append(time.monotonic())
        if len(hits) == 1:
            release.wait(30)  # the first fetch hangs here until the worker is dead
        return Response(body=article_html("Drone strike near Qamishli", [
            "Turkish drones struck a vehicle near Qamishli in northeastern Syria on Tuesday, killing three fighters, "
            "a war monitor said."]).encode(), headers=HTML)

    url = fixture_server.route("/news/qamishli", page)
    first = start_worker()
    article_id = services.submit_url(url=url, origin="url").article_id
    wait_until(lambda: hits, timeout=30, message="the worker's request")
    time.sleep(0.3)
    first.kill()  # SIGKILL, main process and pool together, in the middle of the fetch
    release.set()
    article = Article.objects.get(pk=article_id)
    assert article.status == Article.Status.QUEUED and article.attempts == 1

    # The message was never acknowledged: a new worker gets it back once the visibility timeout has passed.
    time.sleep(1.5)
    start_worker(CELERY_VISIBILITY_TIMEOUT="1")
    wait_until(settled([article_id]), timeout=60, message="the article processed after the restart")
    article.refresh_from_db()
    assert article.status == Article.Status.EXTRACTED, article.error
    assert article.attempts == 2 and len(hits) == 2
    assert Article.objects.count() == 1
    events = list(Event.objects.filter(sources__article=article))
    assert events and len(events) == len({e.pk for e in events})
    before = (Event.objects.count(), EventSource.objects.count())
    services.extract_article(article_id=article_id, force=True)  # a third run changes nothing
    assert (Event.objects.count(), EventSource.objects.count()) == before
