"""The Al Mayadeen article of 27 October 2023 (data/samples/000): every located event of
its gold annotation is found with its exact date, and all six bases are found.

The expectations come from the sample file's own annotations, not from the extractor.
"""
import json
import math
from datetime import date
from pathlib import Path

import pytest

from ingest.extraction import ArticleInput, extract
from ingest.extraction.gazetteer import Gazetteer

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "samples" / "000-almayadeen-2023-10-27.json"
MATCH_KM = 25.0


def km(a_lat, a_lon, b_lat, b_lon):
    p1, p2 = math.radians(a_lat), math.radians(b_lat)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b_lon - a_lon) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


@pytest.fixture(scope="module")
def sample_and_result():
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    article = ArticleInput(
        text=sample["text"], title=sample["title"], published=date.fromisoformat(sample["published"]), language="ar"
    )
    return sample, extract(article, Gazetteer.bundled())


def test_every_located_event_found_with_its_exact_date(sample_and_result):
    sample, result = sample_and_result
    gold = [e for e in sample["events"] if e["lat"] is not None and e["event_type"] != "strategic_development"]
    assert len(gold) >= 8
    preds = [e for e in result.events if e.latitude is not None and e.event_type != "Strategic developments"]
    used = set()
    for g in gold:
        candidates = [
            (km(g["lat"], g["lon"], p.latitude, p.longitude), i)
            for i, p in enumerate(preds)
            if i not in used and (g["date"] is None or p.event_date == date.fromisoformat(g["date"]))
        ]
        candidates = [c for c in candidates if c[0] <= MATCH_KM]
        assert candidates, f"not found: {g['summary_en']} ({g['date']})"
        used.add(min(candidates)[1])


def test_all_six_bases_found(sample_and_result):
    sample, result = sample_and_result
    assert len(sample["bases"]) == 6
    for b in sample["bases"]:
        assert any(
            s.latitude is not None and km(b["lat"], b["lon"], s.latitude, s.longitude) <= 15 for s in result.sites
        ), b["name_en"]


def test_no_event_far_outside_the_region(sample_and_result):
    _, result = sample_and_result
    for e in result.events:
        assert e.country in ("SY", "IQ"), (e.location, e.country)
