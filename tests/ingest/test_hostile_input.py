"""Random and hostile input: every parser of ingestion fails only in its own, expected way."""
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ingest.canonical import InvalidURL, canonical_url
from ingest.feeds import FeedError, parse_feed
from ingest.files import FileProblem, FileRecord, iter_records
from ingest.text import clean_text, page_from_html

pytestmark = pytest.mark.smoke
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                         HealthCheck.function_scoped_fixture])


@FAST
@given(st.text(max_size=300))
def test_canonical_url_raises_only_invalid_url(value):
    try:
        result = canonical_url(value)
    except InvalidURL:
        return
    assert result.startswith("https://")


@FAST
@given(st.one_of(st.binary(max_size=2000), st.text(max_size=2000).map(lambda t: f"<rss><channel>{t}".encode())))
def test_parse_feed_raises_only_feed_error(body):
    try:
        parse_feed(body, max_bytes=10_000)
    except FeedError:
        pass


@FAST
@given(st.text(max_size=3000))
def test_html_to_text_never_raises_and_gives_clean_text(html):
    page = page_from_html(html)
    assert "\x00" not in page.text and page.text == clean_text(page.text)[0]


@FAST
@given(st.binary(max_size=2000), st.sampled_from(["a.json", "a.jsonl", "a.txt", "a.html", "a.json.gz", "a.bin"]))
def test_any_file_gives_records_or_problems(tmp_path_factory, body, name):
    path = tmp_path_factory.mktemp("f") / name
    path.write_bytes(body)
    for item in iter_records([path]):
        assert isinstance(item, (FileRecord, FileProblem))
