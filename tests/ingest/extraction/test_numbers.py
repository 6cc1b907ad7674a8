"""Numbers: digits in three scripts, number words, duals (numbers.py, lexicons/numbers.yaml)."""
import pytest

from ingest.extraction.folding import Folded
from ingest.extraction.numbers import find_numbers, parse_number_word


def values(text):
    f = Folded.of(text)
    return [n.value for n in find_numbers(f.text)]


@pytest.mark.parametrize("text, expected", [("12", 12), ("١٢", 12), ("۱۲", 12), ("1,593", 1593)])
def test_digits_in_every_script(text, expected):
    assert values(text) == [expected]


@pytest.mark.parametrize(
    "word, expected",
    [("ثلاثة", 3), ("أربع", 4), ("عشرة", 10), ("three", 3), ("twelve", 12), ("عشرين", 20), ("fifty", 50)],
)
def test_number_words(word, expected):
    assert parse_number_word(word) == expected


def test_compound_number_words():
    assert values("twenty-one") == [21]
    assert values("خمسة وعشرون") == [25]
    assert values("three hundred") == [300]


@pytest.mark.parametrize("word, expected", [("قتيلان", 2), ("جريحين", 2), ("غارتين", 2), ("قتيل", 1)])
def test_dual_and_singular_nouns_are_counts(word, expected):
    assert values(word) == [expected]


def test_approximate_words_give_no_number():
    assert values("عشرات") == [None]
    assert values("dozens") == [None]


def test_numbers_inside_times_and_decimals_are_not_split():
    assert values("1.5") == []  # a decimal is not "1" and "5"
