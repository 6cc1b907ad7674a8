"""The sample articles of data/samples: well-formed, in both languages, and they make a map."""
import json
from pathlib import Path

import pytest
from django.conf import settings

from events.models import Event
from ingest import services
from ingest.files import FileRecord, iter_records
from ingest.models import Article

SAMPLES = Path(settings.BASE_DIR) / "data" / "samples"


@pytest.mark.smoke
def test_a_dozen_written_samples_in_both_languages_marked_as_written_for_the_demo():
    files = sorted(SAMPLES.glob("*.json"))
    written = []
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert {"id", "title", "text", "published", "language", "url", "outlet"} <= set(data), path.name
        if data.get("metadata", {}).get("written_for_demo"):
            written.append(data)
            assert data["metadata"]["shows"] and 2023 <= int(data["published"][:4]) <= 2026
    assert len(written) >= 12
    assert {d["language"] for d in written} == {"ar", "en"}
    assert len({d["id"] for d in written}) == len(written)


@pytest.mark.smoke
@pytest.mark.django_db
def test_the_samples_are_ingested_once_and_an_airstrike_in_a_known_place_is_on_the_map(
        django_capture_on_commit_callbacks):
    records = [r for r in iter_records([SAMPLES]) if isinstance(r, FileRecord)]
    with django_capture_on_commit_callbacks():
        outcomes = [services.submit_text(text=r.text, title=r.title, outlet=r.outlet, published=r.published,
                                         published_date=r.published_date, language=r.language,
                                         external_id=r.external_id, metadata=r.metadata, origin="sample")
                    for r in records]
        assert [o.status for o in outcomes] == ["new"] * len(records)
        again = [services.submit_text(text=r.text, title=r.title) for r in records]
        assert [o.status for o in again] == ["duplicate"] * len(records)
        for outcome in outcomes:
            assert services.extract_article(article_id=outcome.article_id).startswith("extracted")
    assert Article.objects.filter(status=Article.Status.EXTRACTED).count() == len(records)
    # 003: a drone strike on Harir air base, "فجر اليوم الثلاثاء" = the publication day.
    harir = Article.objects.get(external_id="003")
    events = list(Event.objects.filter(sources__article=harir))
    assert any(e.point is not None and e.event_date.isoformat() == "2024-02-06" for e in events), events
    assert Event.objects.filter(point__isnull=False).count() >= 10
