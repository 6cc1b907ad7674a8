"""Redis restarted while tasks are queued and running: nothing is lost once it is back.

A private ``redis-server`` (a free port, a temp directory, the persistence options of
docker-compose.yml: ``--appendonly yes``, so ``appendfsync everysec``) is the broker of a
real worker. Tasks are queued (real extractions and a test task that takes a while, so
that one is running), then Redis is restarted under them. Never the shared Redis on 6379.

What the broker settings guarantee, and what is checked here:

- a queued message is a list entry in Redis: the append-only file brings it back after a
  restart (a clean stop flushes the file; after a crash, writes of the last second may be
  missing: ``appendfsync everysec``);
- a message being worked on sits, with ``acks_late``, in Redis's ``unacked`` hash until its
  task returns; if the acknowledgement cannot reach Redis, the message is handed out
  again later (visibility timeout) and the idempotent task does nothing the second time;
- the worker reconnects on its own (``broker_connection_retry``) and goes on consuming.

So delivery is *at least once*; the tasks being idempotent makes the effect *exactly once*.
"""
from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timezone

import pytest

from tests.harness import worker_env
from tests.reliability.services import PrivateRedis, PrivateWorker, celery_app_for, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TEXTS = [
    "An Israeli drone strike hit a car in the town of Bint Jbeil in southern Lebanon on Monday, killing two people.",
    "Turkish drones struck a vehicle near Qamishli in northeastern Syria on Tuesday, killing three fighters.",
    "Government forces shelled the town of Kafr Nabl in Idlib countryside on Sunday, killing four civilians.",
    "قصفت طائرة مسيرة سيارة في بلدة بنت جبيل جنوب لبنان يوم الاثنين ما أدى إلى مقتل شخصين.",
]


@pytest.fixture
def redis_broker():
    server = PrivateRedis().start()
    yield server
    server.cleanup()


@pytest.fixture
def private_worker(redis_broker, tmp_path):
    app = celery_app_for(redis_broker.url)
    env = worker_env(
        CELERY_BROKER_URL=redis_broker.url, CELERY_RESULT_BACKEND=redis_broker.url,
        CELERY_EXTRA_IMPORTS="tests.worker_tasks,tests.reliability.worker_tasks",
        # Short enough that an acknowledgement lost with the connection comes back within the test.
        CELERY_VISIBILITY_TIMEOUT="5",
    )
    worker = PrivateWorker(app=app, env=env, log_path=tmp_path / "worker.log").start(timeout=60)
    yield app, worker
    worker.kill()
    app.close()


def make_articles() -> list[int]:
    from ingest.models import Article
    from ingest.text import content_hash

    ids = []
    for i, text in enumerate(TEXTS):
        article = Article.objects.create(
            title=f"redis restart {i}", text=text, content_hash=content_hash(text), origin="file",
            status=Article.Status.FETCHED, published=datetime(2025, 11, 4, tzinfo=timezone.utc),
            metadata={"published_date": "2025-11-04"},
        )
        ids.append(article.pk)
    return ids


def runs(log_dir) -> Counter:
    path = log_dir / "runs.log"
    lines = path.read_text().split("\n") if path.exists() else []
    return Counter(tuple(line.split()[:2]) for line in lines if line)


def assert_everything_done(ids: list[int], keys: list[str], log_dir) -> None:
    from events.models import Event, Site
    from ingest.models import Article

    def done():
        extracted = Article.objects.filter(pk__in=ids, status=Article.Status.EXTRACTED).count() == len(ids)
        return extracted and Site.objects.filter(slug__in=keys).count() == len(keys)

    wait_for(done, 90, 0.25, what="every queued task done after the restart")
    counts = runs(log_dir)
    assert all(counts[("done", key)] >= 1 for key in keys)
    assert Site.objects.filter(slug__in=keys).count() == len(keys)  # idempotent: once each, even if run twice
    keys_seen = Counter((e.sub_event_type, e.event_date, e.location) for e in Event.objects.all())
    assert keys_seen and all(n == 1 for n in keys_seen.values()), keys_seen


@pytest.mark.parametrize("crash", [False, True], ids=["clean-restart", "sigkill"])
def test_tasks_queued_and_running_survive_a_redis_restart(redis_broker, private_worker, tmp_path, crash):
    app, worker = private_worker
    ids = make_articles()
    # One task is running when Redis goes (it takes 3 s), the others wait in the queue behind it.
    keys = [f"redis-restart-{i}" for i in range(4)]
    app.send_task("tests.reliability.record_run", args=[keys[0], 3.0, str(tmp_path)])
    for article_id in ids:
        app.send_task("ingest.tasks.extract_article", args=[article_id])
    for key in keys[1:]:
        app.send_task("tests.reliability.record_run", args=[key, 0.2, str(tmp_path)])
    wait_for(lambda: runs(tmp_path)[("start", keys[0])], 30, 0.05, what="the first task to start")
    assert int(redis_broker.cli("llen", "celery")) == len(ids) + len(keys) - 1  # queued behind it
    if crash:
        time.sleep(1.5)  # appendfsync everysec: what was written over a second ago is on disk
    redis_broker.restart(down_for=1.0, crash=crash)
    assert worker.proc.poll() is None  # the worker rode it out
    assert_everything_done(ids, keys, tmp_path)
    # And it still takes new work after the restart.
    app.send_task("tests.reliability.record_run", args=["after-restart", 0.0, str(tmp_path)])
    assert_everything_done(ids, [*keys, "after-restart"], tmp_path)
    wait_for(lambda: redis_broker.cli("hlen", "unacked") == "0", 30, 0.25, what="every message acknowledged")
