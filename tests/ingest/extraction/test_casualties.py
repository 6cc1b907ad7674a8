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


@pytest.mark.parametrize("text, killed, injured", [
    ("ما أدى إلى مقتل عنصر وإصابة اثنين آخرين", 1, 2),
    ("أصيب مدنيان بجروح جراء القصف", None, 2),
    ("أسفر الهجوم عن مقتل جنديين", 2, None),
    ("استشهد طفل وأصيب آخرون", 1, None),
])
def test_a_counted_person_after_a_casualty_word_is_the_count(text, killed, injured):
    from ingest.extraction.casualties import find_casualties
    from ingest.extraction.folding import Folded

    folded = Folded.of(text).text
    k, i = find_casualties(folded, 0, len(folded))
    assert (k.value if k else None, i.value if i else None) == (killed, injured)


def test_counted_weapons_are_not_casualties():
    from ingest.extraction.casualties import find_casualties
    from ingest.extraction.folding import Folded

    folded = Folded.of("أصيب المبنى بصاروخين دون وقوع إصابات").text
    k, i = find_casualties(folded, 0, len(folded))
    assert (k.value, i.value) == (0, 0)
