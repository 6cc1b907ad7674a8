"""The management commands: progress on stderr, a summary on stdout that agrees with the database."""
import gzip
import io
import json
import random
import re
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command

from events.models import Event
from ingest.models import Article, Source
from tests.harness import Response
from tests.ingest.conftest import article_html, rss

CITIES = ["Mosul", "Kirkuk", "Raqqa", "Idlib", "Aleppo", "Homs", "Daraa", "Fallujah", "Ramadi", "Tikrit", "Qamishli",
          "Manbij", "Hama", "Baghdad", "Erbil", "Samarra", "Deir ez-Zor", "Hasakah", "Basra", "Palmyra"]
KINDS = ["An airstrike hit a building in {city}", "Artillery shelled the outskirts of {city}",
         "A roadside bomb exploded near a patrol in {city}", "A drone strike hit a car in {city}"]


def run(command, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def counts(summary: str) -> dict[str, int]:
    return {key: int(value) for key, value in re.findall(r"^  (new|duplicates|failed|pending): (\d+)$", summary, re.M)}


def write_articles(folder, total: int) -> dict:
    """``total`` small articles in .json, .json.gz, .txt and one .jsonl, plus duplicates and broken files."""
    rng = random.Random(7)
    folder.mkdir(parents=True, exist_ok=True)
    texts = []
    for i in range(total):
        city = CITIES[i % len(CITIES)]
        day = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 360))
        text = (f"{KINDS[i % len(KINDS)].format(city=city)} on Monday, killing {1 + i % 6} people, local officials "
                f"said. It was report number {i} of the day.")
        texts.append((f"{city}: report {i}", text, day))
    jsonl = []
    for i, (title, text, day) in enumerate(texts):
        record = {"id": f"gen-{i}", "title": title, "text": text, "published": day.isoformat(), "language": "en",
                  "outlet": "Generated"}
        if i < 250:
            jsonl.append(json.dumps(record))
        elif i < 300:
            (folder / f"{i:04d}.txt").write_text(f"{title}\n\n{text}", encoding="utf-8")
        elif i < 400:
            (folder / f"{i:04d}.json.gz").write_bytes(gzip.compress(json.dumps(record).encode()))
        else:
            (folder / "sub").mkdir(exist_ok=True)
            (folder / "sub" / f"{i:04d}.json").write_text(json.dumps(record), encoding="utf-8")
    jsonl.insert(10, "{this line is not json")
    (folder / "batch.jsonl").write_text("\n".join(jsonl), encoding="utf-8")
    # Three copies of earlier articles (another id, other spacing and case) and two broken files.
    for n, i in enumerate((3, total // 2, total - 1)):
        title, text, day = texts[i]
        (folder / f"copy-{n}.json").write_text(json.dumps({"id": f"copy-{n}", "title": title, "text": "  " + text.upper()}))
    (folder / "broken.json").write_text('{"id": "broken", "text": ')
    (folder / "empty.txt").write_text("")
    return {"new": total, "duplicates": 3, "failed": 3}  # the bad jsonl line, broken.json, empty.txt


@pytest.mark.smoke
@pytest.mark.django_db
def test_ingest_file_summary_agrees_with_the_database(tmp_path):
    expected = write_articles(tmp_path / "articles", 30)
    out, err = run("ingest_file", str(tmp_path / "articles"), str(tmp_path / "missing"), "--no-wait")
    found = counts(out)
    assert found == {"new": 30, "duplicates": 3, "failed": 4}, out  # + the missing path
    assert Article.objects.count() == expected["new"]
    assert "no such file or folder" in out and "invalid JSON" in out and "empty text file" in out
    assert "reading files" in err  # the progress bar is on stderr, not mixed with the summary
    out, _ = run("ingest_file", str(tmp_path / "articles"), "--no-wait")
    assert counts(out) == {"new": 0, "duplicates": 33, "failed": 3}


@pytest.mark.smoke
@pytest.mark.django_db
def test_add_source():
    out, _ = run("add_source", "https://news.test/feed.xml", "--name", "News", "--language", "ar", "--interval", "15")
    source = Source.objects.get(name="News")
    assert (source.url, source.language, source.poll_interval, source.active) == ("https://news.test/feed.xml", "ar", 15, True)
    assert "every 15 min" in out
    run("add_source", "https://news.test/other.xml", "--name", "News", "--interval", "60")
    assert Source.objects.get(name="News").poll_interval == 60 and Source.objects.count() == 1
    with pytest.raises(CommandError):
        run("add_source", "file:///etc/passwd", "--name", "Bad")
    with pytest.raises(CommandError):
        run("add_source", "https://news.test/f", "--name", "Bad", "--interval", "0")


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_ingest_file_on_a_folder_of_1000_articles_through_a_worker_into_postgis(start_worker, tmp_path):
    expected = write_articles(tmp_path / "articles", 1000)
    start_worker(concurrency=2)
    out, err = run("ingest_file", str(tmp_path / "articles"), "--timeout", "300")
    found = counts(out)
    assert found == {**expected, "pending": 0}, out
    # What was printed is what is in the database.
    assert Article.objects.count() == found["new"]
    assert Article.objects.filter(status=Article.Status.EXTRACTED).count() == found["new"]
    assert not Article.objects.exclude(extractor_version__in=["", "none"]).filter(status="failed").exists()
    assert Article.objects.filter(origin="file").count() == 1000
    assert "processing" in err
    # Into PostGIS: events with points, each linked to the articles that report it.
    assert Event.objects.filter(point__isnull=False).count() > 50
    assert Event.objects.filter(sources__isnull=True).count() == 0
    mosul = Article.objects.get(external_id="gen-0")
    assert any(e.point and 35 < e.point.y < 37 for e in Event.objects.filter(sources__article=mosul))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_poll_sources_ingest_url_and_reextract_end_to_end(start_worker, fixture_server, settings):
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]  # the command polls in this process
    base = fixture_server.url("").rstrip("/")
    items = []
    for i, city in enumerate(["Mosul", "Raqqa", "Idlib"]):
        path = f"/news/{city.lower()}"
        fixture_server.route(path, Response(body=article_html(f"Strike in {city}", [
            f"An airstrike hit a weapons depot in {city} on Thursday, killing {i + 2} fighters, officials said."]).encode(),
            headers={"Content-Type": "text/html; charset=utf-8"}))
        items.append({"title": f"Strike in {city}", "link": f"{base}{path}?utm_source=rss", "guid": path})
    items.append({"title": "Gone", "link": f"{base}/news/gone", "guid": "/news/gone"})  # 404: fails on its article
    fixture_server.route("/feed.xml", Response(body=rss(items, link=base + "/"),
                                               headers={"Content-Type": "application/rss+xml", "ETag": '"1"'}))
    run("add_source", f"{base}/feed.xml", "--name", "Local feed", "--language", "en", "--interval", "5")
    start_worker()
    out, err = run("poll_sources", "--timeout", "120")
    assert counts(out) == {"new": 3, "duplicates": 0, "failed": 1, "pending": 0}, out
    assert "Local feed: 4 entries, 4 new" in out and "HTTP 404" in out
    assert Article.objects.filter(status=Article.Status.EXTRACTED).count() == 3
    failed = Article.objects.get(status=Article.Status.FAILED)
    assert failed.url.endswith("/news/gone") and "HTTP 404" in failed.error

    out, _ = run("poll_sources", "--timeout", "60")  # this fixture feed never answers 304: every entry is known
    assert counts(out) == {"new": 0, "duplicates": 4, "failed": 0, "pending": 0}, out

    # The same article by URL, a refused address, a new URL.
    fixture_server.route("/news/extra", Response(body=article_html("Shelling in Hama", [
        "Artillery shelled the outskirts of Hama on Friday, wounding three civilians, a monitor said."]).encode(),
        headers={"Content-Type": "text/html"}))
    out, _ = run("ingest_url", f"{base}/news/mosul", "http://169.254.169.254/latest/meta-data/",
                 f"{base}/news/extra", "not a url", "--timeout", "60")
    assert counts(out) == {"new": 1, "duplicates": 1, "failed": 2, "pending": 0}, out
    assert "cloud metadata address" in out and "not an http(s) URL" in out
    assert Article.objects.count() == 6  # 4 from the feed, extra, and the refused one (failed, with its error)
    assert Article.objects.get(url__startswith="http://169.254").status == Article.Status.FAILED

    events_before = Event.objects.count()
    out, _ = run("reextract", "--source", "Local feed", "--timeout", "60")
    assert "reextract: 3 articles" in out and "re-extracted: 3" in out and "failed: 0" in out, out
    assert Event.objects.count() == events_before  # idempotent
    with pytest.raises(CommandError):
        run("reextract", "--source", "No such source")
