"""Folding text for matching, and the offset map back to the original (folding.py, lexicon.py)."""
from hypothesis import given
from hypothesis import strategies as st

from ingest.extraction.folding import Folded, fold
from ingest.extraction.lexicon import Matcher

ARABIC_AND_MARKS = st.text(
    alphabet=st.sampled_from(list("ابتثجحخدذرسشصضطظعغفقكلمنهويءأإآىةـًٌٍَُِّْ٠١٢٣٤٥٦٧٨٩ abcXYZ.,،")), max_size=60
)


@given(ARABIC_AND_MARKS)
def test_offsets_round_trip(text):
    f = Folded.of(text)
    for i in range(len(f.text) + 1):
        assert f.folded_offset(f.orig(i)) == i
    for i in range(len(f.text)):
        # Each folded character comes from the original character it maps to.
        assert fold(text[f.orig(i)]) == f.text[i]


def test_folding_rules():
    assert fold("أُطلِقَت") == "اطلقت"
    assert fold("قـاعـدة") == "قاعده"
    assert fold("مستشفى") == "مستشفي"
    assert fold("٢٠٢٤") == "2024"
    assert fold("ERBIL") == "erbil"
    assert fold("Türkiye") == "turkiye"


def test_matcher_accepts_clitics_and_lam_of_the_article():
    m = Matcher([("القوات", "x"), ("غارة", "y")])
    f = Folded.of("وللقوات وبالغارة والقواتية")
    found = [(f.text[h.start:h.end], h.prefix) for h in m.find(f.text)]
    assert ("لقوات", "ول") in found and ("غاره", "وبال") in found
    assert all(t != "القواتيه" for t, _ in found)  # no match inside a longer word


def test_matcher_whole_words_in_latin_script():
    m = Matcher([("raid", 1)])
    assert m.find(fold("a raid")) and not m.find(fold("raided"))


def _group_matchers():
    from ingest.extraction import actors as act
    from ingest.extraction import casualties as C
    from ingest.extraction import numbers as N
    from ingest.extraction import triggers as T
    from ingest.extraction.pipeline import _place_cues

    loose, tight, _ = T._modality()
    return {
        "triggers": T._trigger_matcher(), "weapons": T._weapon_matcher(), "reporting": T._reporting(),
        "loose": loose, "tight": tight, "actors": act._matcher()[0], "num_words": N._matchers()[0],
        "cas_words": C._matchers()[0], **_place_cues(),
    }


_VOCAB = [
    "قصف", "وبالقصف", "الغارات", "لا", "سلاح", "لم", "ست", "استهدفت", "مسيرة", "قوات", "للقوات", "الأميركية", "U.S.", "forces",
    "not", "no", "attacks", "the", "drone", "strike", "said", "US-led", "coalition", "killed", "،", ",", ".", "-", "(", "5",
    "عشرات", "قتيلان", "tension", "ten", "while", "بينما", "الذي", "governor", "of",
]


@given(st.lists(st.sampled_from(_VOCAB), max_size=25), st.lists(st.sampled_from([" ", "", "  "]), min_size=25, max_size=25))
def test_one_pass_matcher_finds_what_each_lexicon_finds(words, seps):
    from ingest.extraction.pipeline import _article_lexicons

    text = fold("".join(w + s for w, s in zip(words, seps)))
    together = _article_lexicons().find_all(text)
    for group, matcher in _group_matchers().items():
        expected = [(h.start, h.end, h.term) for h in matcher.find(text)]
        assert [(h.start, h.end, h.term) for h in together[group]] == expected, group
