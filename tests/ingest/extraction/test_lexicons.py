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


# --- places.yaml: unknown villages located by the text, military facilities, control ------

@pytest.fixture(scope="module")
def bundled():
    from ingest.extraction.gazetteer import Gazetteer

    return Gazetteer.bundled()


def _extract(gaz, text, lang):
    from ingest.extraction import ArticleInput, extract

    return extract(ArticleInput(text=text, title="", published=PUB, language=lang), gaz)


def test_named_unknown_nouns_introduce_names(bundled):
    data = load_yaml("places.yaml")["named_unknown"]
    for noun in data["nouns"]["ar"]:
        ex = _extract(bundled, f'قصفت المدفعية اليوم {noun} "خربة الوردان" في منطقة جبل الزاوية.', "ar")
        assert any(e.location.startswith("خربة الوردان (near") for e in ex.events), noun
    for noun in data["nouns"]["en"]:
        ex = _extract(bundled, f"Artillery shelled the {noun} of Umm Qasabat near Saraqib on Thursday.", "en")
        assert any(e.location.startswith("Umm Qasabat (near") for e in ex.events), noun


def test_named_unknown_gaps_join_names_and_place(bundled):
    data = load_yaml("places.yaml")["named_unknown"]["gaps"]
    for gap in data["ar"]:
        ex = _extract(bundled, f'قصفت المدفعية اليوم قرية "خربة الوردان" {gap} منطقة جبل الزاوية.', "ar")
        assert any(e.location.startswith("خربة الوردان (near") for e in ex.events), gap
    for gap in data["en"]:
        ex = _extract(bundled, f"Artillery shelled the village of Umm Qasabat {gap} Saraqib on Thursday.", "en")
        assert any(e.location.startswith("Umm Qasabat (near") for e in ex.events), gap


def test_named_unknown_not_names_are_refused(bundled):
    data = load_yaml("places.yaml")["named_unknown"]["not_names"]
    for word in data["ar"]:
        ex = _extract(bundled, f"قصفت المدفعية اليوم قرى {word} في منطقة جبل الزاوية.", "ar")
        assert not any("(near" in e.location for e in ex.events), word
    for word in data["en"]:
        ex = _extract(bundled, f"Artillery shelled the villages of {word} near Saraqib on Thursday.", "en")
        assert not any("(near" in e.location for e in ex.events), word


def test_military_facility_entries(bundled):
    from ingest.extraction.pipeline import _facility_rules

    d = load_yaml("places.yaml")["military_facilities"]
    rules = _facility_rules()

    def ar_hit(phrase):
        t = Folded.of(f"قصفت الطائرات {phrase} قرب حماة").text
        return any(rx.search(t) for rx in rules.ar)

    def en_hit(phrase):
        t = Folded.of(f"jets struck the {phrase} near hama").text
        return any(rx.search(t) for rx in rules.en if "name" not in rx.groupindex)

    for unit in d["units"]["ar"]:
        assert ar_hit(f"{unit} 19"), unit
        assert ar_hit(f"{unit} {d['qualifiers']['ar'][0]}"), unit
        assert not ar_hit(f"{unit} محمد"), unit
    for q in d["qualifiers"]["ar"]:
        assert ar_hit(f"الفوج {q}") and ar_hit(f"كلية {q}"), q
    for o in d["ordinals"]["ar"]:
        assert ar_hit(f"الفرقة {o}"), o
    for unit in d["units"]["en"]:
        assert en_hit(f"19th {unit}") and en_hit(f"{unit} 19"), unit
        assert en_hit(f"{d['qualifiers']['en'][0]} {unit}"), unit
        assert not en_hit(f"{unit} of labour"), unit
    for q in d["qualifiers"]["en"]:
        assert en_hit(f"{q} regiment"), q
    for o in d["ordinals"]["en"]:
        assert en_hit(f"{o} division"), o
    for base in d["bases"]["ar"]:
        ex = _extract(bundled, f"أصابت صواريخ {base} زعرورة وسط مدينة طرطوس اليوم.", "ar")
        assert [s.name for s in ex.sites] == [f"{base} زعرورة"], base
    for base in d["bases"]["en"]:
        ex = _extract(bundled, f"Missiles hit the Zaaroura {base} in Tartus on Thursday.", "en")
        assert [s.name for s in ex.sites] == [f"Zaaroura {base}"], base
    for word in d["not_names"]["ar"]:
        ex = _extract(bundled, f"أصابت صواريخ ثكنة {word} وسط مدينة طرطوس اليوم.", "ar")
        assert ex.sites == [], word


def test_control_before_entries(bundled):
    data = load_yaml("places.yaml")["control_before"]
    matcher = _place_cues()["control_before"]
    for lang in ("ar", "en"):
        for term in data[lang]:
            assert matcher.find(Folded.of(f"x {term} x").text), term
    for term in data["en"]:
        ex = _extract(bundled, f"Turkish forces shelled Deir Wardan township, {term} the SDF north of Raqqa, on Thursday.", "en")
        assert ex.events == [], term
    for term in data["ar"]:
        ex = _extract(bundled, f"قصفت القوات التركية اليوم الخميس بلدة زعرورة {term} قسد شمال الرقة.", "ar")
        assert ex.events == [], term


def test_air_delivered_weapons_make_air_strikes():
    from ingest.extraction.triggers import type_for

    spec = load_yaml("weapons.yaml")
    for weapon in spec["air_delivered"]:
        assert weapon in spec["weapons"] and spec["weapons"][weapon]["class"] == "shelling", weapon
        term = spec["weapons"][weapon]["en"][0]
        f = Folded.of(f"warplanes attacked the town with {term}")
        trig = [t for t in find_triggers(f.text) if not t.specific][0]
        assert type_for(trig, find_weapons(f.text))[0] == "Air/drone strike", weapon
        f = Folded.of(f"militants attacked the town with {term}")
        trig = [t for t in find_triggers(f.text) if not t.specific][0]
        assert type_for(trig, find_weapons(f.text))[0] == "Shelling/artillery/missile attack", weapon


def test_person_noun_entries_count_after_a_casualty_word():
    from ingest.extraction.casualties import find_casualties

    for noun in load_yaml("casualties.yaml")["person_nouns"]["ar"]:
        folded = Folded.of(f"أسفر القصف عن مقتل {noun}").text
        killed, _ = find_casualties(folded, 0, len(folded))
        assert killed is not None and killed.value == 1, noun
