"""Fatalities and injured (casualties.py, lexicons/casualties.yaml)."""
import pytest

from ingest.extraction.casualties import find_casualties
from ingest.extraction.folding import Folded


def counts(text):
    f = Folded.of(text)
    k, i = find_casualties(f.text, 0, len(f.text))
    return (k.value if k else None, i.value if i else None)


@pytest.mark.parametrize(
    "text, killed, injured",
    [
        ("قتل 3 أشخاص وجرح ٤ آخرون في القصف", 3, 4),
        ("أدى إلى مقتل 8 عناصر وإصابة 7 آخرين", 8, 7),
        ("سقط قتيلان وثلاثة جرحى", 2, 3),
        ("Four soldiers were killed and five were wounded", 4, 5),
        ("killing two soldiers", 2, None),
        ("the injury of more than 7 others", None, 7),
        ("No casualties were reported", 0, 0),
        ("دون وقوع إصابات", 0, 0),
        ("قتل وجرح العشرات", None, None),
    ],
)
def test_counts(text, killed, injured):
    assert counts(text) == (killed, injured)


def test_times_and_ages_are_not_counts():
    assert counts("at about 1:30 p.m. a civilian named Ali (55) was killed") == (None, None)
