"""Actors and roles (actors.py, lexicons/actors.yaml)."""
import pytest

from ingest.extraction import actors as act
from ingest.extraction.folding import Folded
from ingest.extraction.triggers import find_triggers, find_weapons


def roles(text, arabic):
    f = Folded.of(text)
    mentions = act.resolve_references(act.find_actors(f.text, lambda s, e: text[f.orig(s):f.orig_end(e)]))
    trig = find_triggers(f.text)[0]
    weapons = [(w.start, w.end) for w in find_weapons(f.text)]
    attacker, target = act.assign_roles(f.text, trig.start, trig.end, weapons, mentions, arabic)
    return (attacker.actor.name if attacker else None, target.actor.name if target else None)


@pytest.mark.parametrize(
    "text, arabic, attacker, target",
    [
        ("قصف تركي استهدف قرية قرب مخمور", True, "Military Forces of Turkey", None),
        ("استهدفت مسيرة إسرائيلية سيارة في بلدة الخيام", True, "Military Forces of Israel", None),
        ("استهدفت المقاومة الإسلامية في العراق القاعدة الأميركية", True, "Islamic Resistance in Iraq", "Military Forces of the United States"),
        ("شن تنظيم داعش هجوما على نقاط لقوات النظام", True, "Islamic State (Iraq and Syria)", "Military Forces of Syria"),
        ("A Turkish drone struck a car carrying SDF fighters", False, "Military Forces of Turkey", "Syrian Democratic Forces"),
        ("ISIS militants attacked an army checkpoint of the Iraqi army", False, "Islamic State (Iraq and Syria)", "Military Forces of Iraq"),
        ("Rockets were fired at the US base by unknown gunmen", False, "Unidentified Armed Group", "Military Forces of the United States"),
    ],
)
def test_attacker_and_target(text, arabic, attacker, target):
    got = roles(text, arabic)
    assert got[0] == attacker
    if target is not None:
        assert got[1] == target


def test_bare_resistance_refers_back_to_the_named_group():
    text = "أعلنت كتائب حزب الله مسؤوليتها. وقالت المقاومة إنها استهدفت القاعدة"
    f = Folded.of(text)
    mentions = act.resolve_references(act.find_actors(f.text, lambda s, e: text[f.orig(s):f.orig_end(e)]))
    assert [m.actor.name for m in mentions] == ["Kataib Hezbollah", "Kataib Hezbollah"]


def test_short_latin_abbreviations_need_capitals():
    text = "the jets struck just ten meters from us, then a US drone fired again"
    f = Folded.of(text)
    mentions = act.find_actors(f.text, lambda s, e: text[f.orig(s):f.orig_end(e)])
    assert len(mentions) == 1 and text[f.orig(mentions[0].start):f.orig_end(mentions[0].end)] == "US"


def test_state_forces_abroad_are_external():
    us = act.actors()["us"]
    assert act.inter_for(us, "SY") == 8
    assert act.inter_for(act.actors()["syria_gov"], "SY") == 1
    assert act.inter_for(act.actors()["isis"], "IQ") == 2


def test_lam_after_the_attack_noun_names_the_attacker():
    assert roles("قصف مدفعي لقوات النظام على بلدة في ريف إدلب", True)[0] == "Military Forces of Syria"
    assert roles("استهدف القصف نقاطا لقوات سوريا الديمقراطية", True)[1] == "Syrian Democratic Forces"


def test_passive_subject_is_the_target():
    assert roles("US troops were attacked with drones near the border", False)[1] == "Military Forces of the United States"


@pytest.mark.parametrize("text, language, attacker", [
    ("Turkish drones struck a village near Duhok on Monday, Iraqi officials said.", "en", "Military Forces of Turkey"),
    ("Israeli warplanes struck a site near Homs on Monday, Syrian state media reported.", "en", "Military Forces of Israel"),
    ("قصفت طائرات مسيرة تركية قرية قرب دهوك يوم الاثنين، بحسب مصادر أمنية عراقية.", "ar", "Military Forces of Turkey"),
    ("Two rockets hit a military camp near Kirkuk on Monday, Iraqi security sources said.", "en", "Unidentified"),
])
def test_the_nationality_of_whoever_reports_is_not_the_attacker(text, language, attacker):
    from datetime import date

    from ingest.extraction import extract
    from ingest.extraction.types import ArticleInput

    events = extract(ArticleInput(text=text, published=date(2024, 1, 3), language=language)).events
    assert events, text
    assert all(e.actor1.startswith(attacker) for e in events), [e.actor1 for e in events]


def test_forces_stationed_at_a_base_that_came_under_attack_are_the_target_and_border_countries_no_actor():
    from datetime import date

    from ingest.extraction import extract
    from ingest.extraction.types import ArticleInput

    text = ("تعرضت قاعدة التنف التي تنتشر فيها قوات التحالف الدولي قرب المثلث الحدودي بين سوريا والعراق والأردن، "
            "مساء أمس السبت، لهجوم بصاروخين، بحسب مصدر محلي.")
    (event,) = extract(ArticleInput(text=text, published=date(2024, 5, 12), language="ar")).events
    assert event.actor2 == "Military Forces of the United States"
    assert event.actor1.startswith("Unidentified")
