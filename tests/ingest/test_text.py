"""Bytes to text and HTML to an article: encodings, boilerplate, language, NFC, hashes."""
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ingest.text import (
    clean_text, content_hash, decode, detect_language, page_from_html, parse_datetime, text_from_plain,
)
from tests.ingest.conftest import fixture_bytes

pytestmark = pytest.mark.smoke

ARABIC = ("أصيب مدنيان بجروح، اليوم الأربعاء، جراء قصف مدفعي استهدف الأحياء السكنية في بلدة سرمين بريف إدلب "
          "الشرقي، وقال الدفاع المدني إن فرقه أسعفت المصابين.")


def test_windows_1256_labelled_utf8_is_read_as_arabic():
    decoded = decode(ARABIC.encode("cp1256"), "utf-8")
    assert decoded.text == ARABIC and decoded.encoding in ("windows-1256", "cp1256") and not decoded.errors


def test_windows_1256_labelled_latin1_is_read_as_arabic():
    assert decode(ARABIC.encode("cp1256"), "iso-8859-1").text == ARABIC


def test_utf8_labelled_latin1_is_read_as_utf8():
    decoded = decode(ARABIC.encode("utf-8"), "iso-8859-1")
    assert decoded.text == ARABIC and decoded.encoding == "utf-8" and not decoded.errors


def test_the_charset_of_a_meta_tag_is_used_when_the_header_says_nothing():
    html = b'<html><head><meta charset="windows-1256"></head><body>' + ARABIC.encode("cp1256") + b"</body></html>"
    assert ARABIC in decode(html).text


def test_invalid_utf8_bytes_are_replaced_and_reported_the_rest_kept():
    decoded = decode(fixture_bytes("page-invalid-utf8.html"), "utf-8")
    assert decoded.errors
    assert "\ufffd" in decoded.text
    assert "قصف مدفعي على بلدة سرمين" in decoded.text  # the valid parts are intact


def test_byte_order_marks_win():
    assert decode("غارة".encode("utf-16")).text == "غارة"
    assert decode(b"\xef\xbb\xbf" + "غارة".encode()).text == "غارة"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000), st.sampled_from([None, "utf-8", "iso-8859-1", "windows-1256", "bogus-charset", "utf-16"]))
def test_decoding_never_raises(body, declared):
    result = decode(body, declared)
    assert isinstance(result.text, str)


def test_boilerplate_is_left_out_of_the_article():
    html = fixture_bytes("page-boilerplate-en.html").decode()
    page = page_from_html(html, url="http://127.0.0.1/news/drone-attack")
    assert page.title == "Drone attack on base in eastern Syria"
    assert "Three drones targeted a base hosting coalition troops at the al-Omar oil field" in page.text
    assert "No group has claimed responsibility." in page.text
    for junk in ("Politics", "Markets close higher", "reader42", "football transfers", "Celebrity wedding",
                 "Subscribe to our newsletter", "Copyright", "Cookie settings", "dataLayer", "check the casualty",
                 "color: red"):
        assert junk not in page.text, junk
    assert page.language == "en"
    assert page.published is not None and page.published_date.isoformat() == "2024-03-02"
    assert page.published.isoformat() == "2024-03-02T06:30:00+00:00"


def test_arabic_page_metadata_and_title():
    html = fixture_bytes("page-ar.html").decode().replace("{charset}", "utf-8")
    page = page_from_html(html)
    assert page.language == "ar"
    assert page.title.startswith("قصف مدفعي على بلدة سرمين")
    assert "أصيب مدنيان بجروح" in page.text and "اشترك في النشرة" not in page.text and "رياضة" not in page.text
    assert page.published_date.isoformat() == "2025-01-15"


def test_a_page_trafilatura_finds_nothing_in_still_gives_its_text():
    page = page_from_html("<html><body><div>Short note: shelling reported in Sarmin.</div></body></html>")
    assert "shelling reported in Sarmin" in page.text


@pytest.mark.parametrize("junk", ["", "   ", "<", "<html>", "\x00\x00", "<?xml version='1.0' encoding='utf-8'?><a/>",
                                  "<html><body>" + "<div>" * 5000 + "x"])
def test_junk_html_does_not_raise(junk):
    page = page_from_html(junk)
    assert isinstance(page.text, str)


def test_text_is_nfc_without_control_characters_or_surrogates():
    decomposed = "ا\u0654" + "cafe\u0301" + "\x00\x07 \ud800 x\r\n\n\n\ny"
    text, bad = clean_text(decomposed)
    assert text == unicodedata.normalize("NFC", text)
    assert "أ" in text and "café" in text
    assert "\x00" not in text and "\x07" not in text and "\ud800" not in text
    assert bad  # the surrogate had to be replaced
    assert "\n\n\n" not in text


def test_language_detection():
    assert detect_language(ARABIC) == "ar"
    assert detect_language("A drone struck a fuel depot near Erbil on Friday, officials said.") == "en"
    assert detect_language("") == ""
    assert detect_language("123 456") == ""


def test_content_hash_ignores_case_spacing_punctuation_and_arabic_vowel_marks():
    assert content_hash("Drone strike, near  Erbil!") == content_hash("drone strike near erbil")
    assert content_hash("قَصْفٌ مدفعي") == content_hash("قصف مدفعـي")
    assert content_hash("Drone strike near Erbil") != content_hash("Drone strike near Mosul")
    assert content_hash("  ...  ") is None


def test_dates_keep_the_day_as_written():
    moment, day = parse_datetime("Fri, 27 Oct 2023 01:00:00 +0300")
    assert moment.isoformat() == "2023-10-26T22:00:00+00:00" and day.isoformat() == "2023-10-27"
    assert parse_datetime("2023-10-27")[1].isoformat() == "2023-10-27"
    assert parse_datetime("2023-10-27T10:00:00Z")[0].isoformat() == "2023-10-27T10:00:00+00:00"
    assert parse_datetime("not a date") == (None, None)
    assert parse_datetime("31/02/2024") == (None, None)


def test_plain_text_first_line_is_the_title():
    assert text_from_plain("Title here\n\nBody one.\nBody two.") == ("Title here", "Body one.\nBody two.")
    assert text_from_plain("Only one line") == ("", "Only one line")
