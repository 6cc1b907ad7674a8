"""The evaluation contract: ``manage.py extract_events INPUT.jsonl`` run as a subprocess."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

EVENT_KEYS = {
    "event_date", "time_precision", "event_type", "sub_event_type", "actor1", "actor2", "location", "country",
    "latitude", "longitude", "geo_precision", "weapon", "target", "fatalities", "injured", "confidence", "evidence",
}
SITE_KEYS = {"name", "kind", "operator", "country", "latitude", "longitude"}


def run_command(tmp_path, lines):
    path = tmp_path / "input.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "manage.py", "extract_events", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    return proc


def test_output_shape_and_bad_lines(tmp_path):
    good_ar = {
        "id": "a1", "title": "قصف على منبج",
        "text": "قصفت المدفعية التركية اليوم الاثنين مدينة منبج، ما أدى إلى مقتل مدنيين اثنين. وتعرضت قاعدة عين الأسد لهجوم صاروخي.",
        "published": "2024-03-11", "language": "ar", "url": None,
    }
    good_en = {
        "id": 7, "title": None, "text": "A drone strike hit a car in Kirkuk on Sunday, killing three people.",
        "published": None, "language": None, "url": "https://example.org/x",
    }
    negative = {"id": "n", "title": "Fuel prices", "text": "Fuel prices rose in Idlib on Monday.", "published": "2024-03-11",
                "language": "en", "url": None}
    lines = [
        json.dumps(good_ar, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "x", "text": 5}),
        json.dumps(good_en),
        json.dumps({"id": "d", "text": "x", "published": "11/03/2024"}),
        json.dumps(negative),
    ]
    proc = run_command(tmp_path, lines)
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert [d["id"] for d in out] == ["a1", 7, "n"]
    for bad in (2, 3, 5):
        assert f"line {bad}" in proc.stderr

    doc = out[0]
    assert set(doc) == {"id", "events", "sites"}
    assert len(doc["events"]) >= 2
    for ev in doc["events"]:
        assert EVENT_KEYS <= set(ev)
        for e in ev["evidence"]:
            assert set(e) == {"field", "start", "end", "text"}
            assert good_ar["text"][e["start"]:e["end"]] == e["text"]
    manbij = [e for e in doc["events"] if e["sub_event_type"] == "Shelling/artillery/missile attack" and e["fatalities"] == 2]
    assert manbij and manbij[0]["event_date"] == "2024-03-11"
    assert any(SITE_KEYS <= set(s) and s["latitude"] for s in doc["sites"])

    en = out[1]
    assert en["events"] and en["events"][0]["sub_event_type"] == "Air/drone strike"
    assert out[2]["events"] == []


def test_works_without_a_database(tmp_path):
    # The command must work with no database at all: point it at a path that does not exist.
    import os

    env = dict(os.environ, DATABASE_URL="spatialite:///" + str(tmp_path / "missing" / "db.sqlite3"), SECRET_KEY="test-only")
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": 1, "text": "Rockets hit Mosul on Monday.", "published": "2024-03-11"}) + "\n")
    proc = subprocess.run(
        [sys.executable, "manage.py", "extract_events", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=240, env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1])["id"] == 1
    assert not (tmp_path / "missing").exists()
