"""Files: .txt, .html, .json, .jsonl, folders and gzip; problems reported, never raised."""
import gzip
import json

import pytest

from ingest.files import FileProblem, FileRecord, iter_records
from tests.ingest.conftest import fixture_bytes

pytestmark = pytest.mark.smoke


def records(paths):
    items = list(iter_records(paths))
    return [i for i in items if isinstance(i, FileRecord)], [i for i in items if isinstance(i, FileProblem)]


def test_json_object_list_and_articles_key(tmp_path):
    one = {"id": "a1", "title": "T", "text": "Body", "published": "2024-01-02", "language": "EN", "url": "https://x.test/a",
           "outlet": "O", "metadata": {"written_for_demo": True}, "extra": 3, "events": [{"ignored": 1}]}
    (tmp_path / "one.json").write_text(json.dumps(one))
    (tmp_path / "list.json").write_text(json.dumps([{"title": "L1", "body": "b1"}, {"title": "L2", "content": "b2"}]))
    (tmp_path / "wrapped.json").write_text(json.dumps({"articles": [{"text": "w1", "date": "2024-02-03T10:00:00Z"}]}))
    found, problems = records([tmp_path])
    assert not problems
    by_text = {r.text: r for r in found}
    assert set(by_text) == {"Body", "b1", "b2", "w1"}
    first = by_text["Body"]
    assert (first.external_id, first.title, first.language, first.url, first.outlet) == ("a1", "T", "en", "https://x.test/a", "O")
    assert first.published_date.isoformat() == "2024-01-02"
    assert first.metadata == {"extra": 3, "written_for_demo": True}
    assert by_text["w1"].published.isoformat() == "2024-02-03T10:00:00+00:00"


def test_jsonl_with_a_bad_line_keeps_the_others(tmp_path):
    lines = [json.dumps({"id": str(i), "text": f"article {i}"}) for i in range(3)]
    lines.insert(1, "{not json")
    lines.insert(3, json.dumps({"title": "no text, no url"}))
    lines.insert(4, "")
    (tmp_path / "a.jsonl").write_text("\n".join(lines))
    found, problems = records([tmp_path / "a.jsonl"])
    assert [r.external_id for r in found] == ["0", "1", "2"]
    assert [(p.where.rsplit(":", 1)[1], p.reason.split(":")[0]) for p in problems] == [
        ("2", "invalid JSON"), ("4", "no text and no URL")]


def test_gzip_of_every_format(tmp_path):
    (tmp_path / "a.json.gz").write_bytes(gzip.compress(json.dumps({"text": "from json.gz"}).encode()))
    (tmp_path / "b.jsonl.gz").write_bytes(gzip.compress(b'{"text": "from jsonl.gz"}\n'))
    (tmp_path / "c.txt.gz").write_bytes(gzip.compress("Title\n\nfrom txt.gz".encode()))
    (tmp_path / "d.html.gz").write_bytes(gzip.compress(fixture_bytes("page-boilerplate-en.html")))
    (tmp_path / "broken.json.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    found, problems = records([tmp_path])
    texts = [r.text for r in found]
    assert "from json.gz" in texts and "from jsonl.gz" in texts and "from txt.gz" in texts
    assert any("Three drones targeted a base" in t for t in texts)
    assert [p.where.endswith("broken.json.gz") for p in problems] == [True]


def test_txt_and_html_files(tmp_path):
    (tmp_path / "note.txt").write_text("Shelling in Sarmin\n\nTwo civilians were wounded.", encoding="utf-8")
    (tmp_path / "page.html").write_bytes(fixture_bytes("page-boilerplate-en.html"))
    found, _ = records([tmp_path])
    note = next(r for r in found if r.external_id == "note.txt")
    assert (note.title, note.text) == ("Shelling in Sarmin", "Two civilians were wounded.")
    page = next(r for r in found if r.external_id == "page.html")
    assert page.title == "Drone attack on base in eastern Syria" and page.language == "en"
    assert "reader42" not in page.text


def test_non_utf8_text_file_is_decoded_and_invalid_bytes_reported(tmp_path):
    (tmp_path / "cp1256.txt").write_bytes("عنوان\n\nقصف مدفعي على بلدة سرمين في ريف إدلب".encode("cp1256"))
    (tmp_path / "broken.txt").write_bytes("عنوان\n\nقصف مدفعي".encode() + b"\xff" + "على بلدة سرمين".encode())
    found, _ = records([tmp_path])
    by_name = {r.external_id: r for r in found}
    assert by_name["cp1256.txt"].text == "قصف مدفعي على بلدة سرمين في ريف إدلب" and not by_name["cp1256.txt"].decode_errors
    assert by_name["broken.txt"].decode_errors and "على بلدة سرمين" in by_name["broken.txt"].text


def test_folders_are_walked_in_order_hidden_and_unknown_files_skipped(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("T\n\ntwo")
    (tmp_path / "a.txt").write_text("T\n\none")
    (tmp_path / ".hidden.txt").write_text("T\n\nhidden")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    found, problems = records([tmp_path])
    assert [r.text for r in found] == ["one", "two"] and not problems


def test_missing_and_unsupported_paths_are_problems(tmp_path):
    (tmp_path / "x.csv").write_text("a,b")
    _, problems = records([tmp_path / "nope", tmp_path / "x.csv"])
    assert [p.reason.split(":")[0] for p in problems] == ["no such file or folder", "unsupported file type .csv"]


def test_empty_and_invalid_files(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "bad.json").write_text("[1, 2")
    (tmp_path / "scalar.json").write_text("42")
    _, problems = records([tmp_path])
    assert sorted(p.reason.split(":")[0] for p in problems) == ["empty text file", "expected a JSON object, found int",
                                                                "invalid JSON"]
