"""One test per lexicon rule family: every entry of the data files does what its file says.

These read the YAML files themselves, so an entry a researcher adds is tested at once.
"""
from datetime import date

import pytest

from ingest.extraction import actors as act
from ingest.extraction.casualties import find_casualties
from ingest.extraction.dates import find_dates
from ingest.extraction.folding import Folded, fold
from ingest.extraction.lexicon import load_yaml
from ingest.extraction.pipeline import _place_cues
from ingest.extraction.triggers import background_cue, blocking_cue, find_reporting, find_triggers, find_weapons

PUB = date(2024, 3, 14)


def _entries(data, *path_keys):
    out = []
    for lang in ("ar", "en"):
        for term in data.get(lang) or []:
            out.append((lang, str(term)))
    return out


def trigger_entries():
    for name, fam in load_yaml("triggers.yaml")["families"].items():
        for lang in ("ar", "en"):
            for term in fam.get(lang) or []:
                yield pytest.param(name, fam, term, id=f"{name}:{term}")


@pytest.mark.parametrize("family, spec, term", list(trigger_entries()))
def test_trigger_family_entries(family, spec, term):
    f = Folded.of(f"x {term} x")
    found = find_triggers(f.text)
    if spec["sub_event_type"] is None:
        assert found == [] or all(fold(term) != t.term for t in found)
        return
    assert found, term
    assert any(t.family == family for t in found) or any(len(t.term) > len(fold(term)) for t in found)


def weapon_entries():
    for name, spec in load_yaml("weapons.yaml")["weapons"].items():
        for lang in ("ar", "en"):
            for term in spec.get(lang) or []:
                yield pytest.param(name, term, id=f"{name}:{term}")


@pytest.mark.parametrize("weapon, term", list(weapon_entries()))
def test_weapon_entries(weapon, term):
    f = Folded.of(f"x {term} x")
    found = find_weapons(f.text)
    assert found, term


def modality_entries():
    for group, spec in load_yaml("modality.yaml")["groups"].items():
        for lang in ("ar", "en"):
            for term in spec.get(lang) or []:
                yield pytest.param(group, lang, str(term), id=f"{group}:{term}")


@pytest.mark.parametrize("group, lang, cue", list(modality_entries()))
def test_modality_cues_block_a_following_trigger(group, lang, cue):
    trigger = "قصف" if lang == "ar" else "shelling"
    text = f"{cue} {trigger}"
    f = Folded.of(text)
    trig = [t for t in find_triggers(f.text) if f.text[t.start:t.end] == fold(trigger)][-1]
    assert blocking_cue(f.text, 0, trig.start) is not None, cue


def background_entries():
    data = load_yaml("background.yaml")
    for lang in ("ar", "en"):
        for term in data.get(lang) or []:
            yield pytest.param(str(term), id=f"bg:{term}")


@pytest.mark.parametrize("cue", list(background_entries()))
def test_background_cues(cue):
    f = Folded.of(f"x {cue} x")
    assert background_cue(f.text, 0, len(f.text))


def test_background_patterns():
    for text in ("منذ مطلع العام", "since the beginning of the war", "more than 100 attacks", "أكثر من 100 هجوم"):
        f = Folded.of(text)
        assert background_cue(f.text, 0, len(f.text)), text


def reporting_entries():
    data = load_yaml("reporting.yaml")
    for lang in ("ar", "en"):
        for term in data.get(lang) or []:
            yield pytest.param(str(term), id=f"rep:{term}")


@pytest.mark.parametrize("word", list(reporting_entries()))
def test_reporting_words(word):
    assert find_reporting(Folded.of(f"x {word} x").text)


def date_words():
    data = load_yaml("dates.yaml")
    for num, names in data["months"].items():
        for lang in ("ar", "en"):
            for name in names[lang]:
                yield pytest.param("month", int(num), name, id=f"month:{name}")
    for num, names in data["weekdays"].items():
        for lang in ("ar", "en"):
            for name in names[lang]:
                yield pytest.param("weekday", int(num), name, id=f"weekday:{name}")
    for group in data["relative_days"]:
        for lang in ("ar", "en"):
            for name in group[lang]:
                yield pytest.param("relative", int(group["offset"]), name, id=f"relative:{name}")


@pytest.mark.parametrize("kind, value, word", list(date_words()))
def test_date_words(kind, value, word):
    if kind == "month":
        f = Folded.of(f"في 3 {word} 2023" if any("\u0600" <= c <= "\u06ff" for c in word) else f"on 3 {word} 2023")
        found = find_dates(f.text, PUB)
        assert found and found[0].date == date(2023, value, 3), word
    elif kind == "weekday":
        f = Folded.of(f"يوم {word}" if any("\u0600" <= c <= "\u06ff" for c in word) else f"on {word}")
        found = find_dates(f.text, PUB)
        assert found and found[0].date.weekday() == value and found[0].date <= PUB, word
    else:
        f = Folded.of(f"x {word} x")
        found = find_dates(f.text, PUB)
        assert found and (found[0].date - PUB).days == value, word


def vague_entries():
    for group in load_yaml("dates.yaml")["vague"]:
        for lang in ("ar", "en"):
            for name in group[lang]:
                yield pytest.param(group, name, id=f"vague:{name}")


@pytest.mark.parametrize("group, word", list(vague_entries()))
def test_vague_date_entries(group, word):
    f = Folded.of(f"x {word} x")
    found = find_dates(f.text, PUB)
    assert found and found[0].precision == group["precision"], word


def actor_entries():
    for spec in load_yaml("actors.yaml")["actors"]:
        for lang in ("ar", "en"):
            for term in (spec.get("names") or {}).get(lang) or []:
                yield pytest.param(spec["id"], term, False, id=f"{spec['id']}:{term}")
            for term in (spec.get("adjectives") or {}).get(lang) or []:
                yield pytest.param(spec["id"], term, True, id=f"{spec['id']}:adj:{term}")


@pytest.mark.parametrize("actor_id, term, adjective", list(actor_entries()))
def test_actor_entries(actor_id, term, adjective):
    text = f"x {term.upper() if term.isascii() and len(term.replace('.', '')) <= 4 else term} x"
    f = Folded.of(text)
    found = act.find_actors(f.text, lambda s, e: text[f.orig(s):f.orig_end(e)])
    assert found, term
    assert found[0].adjective == adjective or len(found[0].actor.id) and found[0].end - found[0].start > len(fold(term))
    assert act.actors()[actor_id].inter in (1, 2, 3, 4, 7, 8)


def casualty_entries():
    data = load_yaml("casualties.yaml")
    for kind in ("killed", "injured"):
        for lang in ("ar", "en"):
            for term in data[kind][lang]:
                yield pytest.param(kind, lang, term, id=f"{kind}:{term}")


@pytest.mark.parametrize("kind, lang, word", list(casualty_entries()))
def test_casualty_words_take_a_number(kind, lang, word):
    text = f"{word} 7 x" if lang == "ar" else f"7 {word}"
    f = Folded.of(text)
    k, i = find_casualties(f.text, 0, len(f.text))
    got = k if kind == "killed" else i
    assert got is not None and got.value in (7, 1, 2), word


def test_no_casualty_phrases_give_zero():
    data = load_yaml("casualties.yaml")
    for lang in ("ar", "en"):
        for phrase in data["none"][lang]:
            f = Folded.of(phrase)
            k, i = find_casualties(f.text, 0, len(f.text))
            assert k is not None and k.value == 0 and i is not None and i.value == 0, phrase


@pytest.mark.parametrize("group", ["anaphora", "locator_before", "origin_before", "segment_breaks"])
def test_place_phrase_entries(group):
    data = load_yaml("places.yaml")[group]
    matcher = _place_cues()[group]
    for lang in ("ar", "en"):
        for term in data.get(lang) or []:
            assert matcher.find(Folded.of(f"x {term} x").text), term


def test_title_before_entries():
    matcher = _place_cues()["title_before"]
    for lang in ("ar", "en"):
        for term in load_yaml("places.yaml")["title_before"].get(lang) or []:
            assert matcher.find(Folded.of(f"x {term} x").text), term


def test_unknown_place_noun_entries():
    from ingest.extraction.pipeline import _unknown_place_res

    ar_re, en_re = _unknown_place_res()
    data = load_yaml("places.yaml")["unknown_place_nouns"]
    for noun in data["ar"]:
        assert ar_re.search(Folded.of(f"قصف على {noun} كذا في ").text), noun
    for noun in data["en"]:
        assert en_re.search(f"shelling hit Kashkul {noun} in "), noun
        assert not en_re.search(f"shelling hit a {noun} in "), noun


def test_unmappable_kinds_are_gazetteer_kinds():
    kinds = load_yaml("places.yaml")["unmappable_kinds"]
    assert set(kinds) <= {"country", "region", "admin1", "district"}
    assert "admin1" not in kinds  # governorates are coded at their capital
