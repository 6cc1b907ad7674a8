"""Triggers, types, modality and background cues (triggers.py, lexicons/triggers.yaml,
weapons.yaml, modality.yaml, background.yaml)."""
import pytest

from ingest.extraction.folding import Folded
from ingest.extraction.triggers import background_cue, blocking_cue, find_triggers, find_weapons, type_for


def first_type(text):
    f = Folded.of(text)
    trig = find_triggers(f.text)[0]
    return type_for(trig, find_weapons(f.text))


@pytest.mark.parametrize(
    "text, sub_event_type, weapon",
    [
        ("شنت الطائرات غارتين على البلدة", "Air/drone strike", "airstrike"),
        ("Israeli warplanes carried out airstrikes on the town", "Air/drone strike", "airstrike"),
        ("استهدفت طائرة مسيرة سيارة", "Air/drone strike", "drone"),
        ("a drone attack hit the base", "Air/drone strike", "drone"),
        ("سقوط صواريخ كاتيوشا قرب القاعدة", "Shelling/artillery/missile attack", "rocket"),
        ("قصف مدفعي على القرية", "Shelling/artillery/missile attack", "artillery"),
        ("artillery shelling hit the village", "Shelling/artillery/missile attack", "artillery"),
        ("اندلعت اشتباكات بين الطرفين", "Armed clash", "small arms"),
        ("انفجرت عبوة ناسفة بدورية", "Remote explosive/landmine/IED", "IED"),
        ("a roadside bomb struck a patrol", "Remote explosive/landmine/IED", "IED"),
        ("a suicide bomber blew himself up", "Suicide bomb", "explosives"),
        ("استقدم التحالف تعزيزات عسكرية", "Other", ""),
        ("فجرت القوة منزلا في البلدة", "Looting/property destruction", "explosives"),
    ],
)
def test_trigger_types(text, sub_event_type, weapon):
    assert first_type(text) == (sub_event_type, weapon)


def test_generic_trigger_takes_type_from_weapon():
    assert first_type("the base was attacked with rockets")[0] == "Shelling/artillery/missile attack"
    assert first_type("هاجمت مسيرات القاعدة")[0] == "Air/drone strike"


def test_clitics_are_allowed_on_arabic_triggers():
    f = Folded.of("وبالغارات والقصف")
    assert [f.text[t.start:t.end] for t in find_triggers(f.text)] == ["غارات", "القصف"]


def test_summary_plurals_are_not_triggers():
    f = Folded.of("officials blamed the attacks on the security vacuum")
    assert find_triggers(f.text) == []


def blocked(text):
    f = Folded.of(text)
    trig = find_triggers(f.text)[0]
    return blocking_cue(f.text, 0, trig.start) is not None


@pytest.mark.parametrize(
    "text",
    [
        "نفى الجيش أن يكون قد قصف المنطقة",
        "هدد القيادي بقصف القواعد",
        "قال إن قواته ستستهدف القاعدة",
        "وفي حال استمرار التصعيد سيكون هناك هجوم",
        "the army denied it had shelled the village",
        "the group threatened to attack the base",
        "he said they will retaliate with strikes",
        "the army did not strike the town",
    ],
)
def test_denials_threats_and_intentions_block(text):
    assert blocked(text)


@pytest.mark.parametrize("text", ["قصفت المدفعية القرية", "Turkish drones struck the village"])
def test_plain_reports_are_not_blocked(text):
    assert not blocked(text)


@pytest.mark.parametrize(
    "text",
    [
        "at least 35 people have been killed by drone attacks since the beginning of this year",
        "ISIS attacks have been on the rise recently",
        "ووثقت الشبكة مقتل 200 عنصر منذ مطلع العام في هجمات متفرقة",
        "رصدت المنظمة أكثر من 100 هجوم",
        "the third time the village was shelled",
    ],
)
def test_trends_and_tallies_are_background(text):
    f = Folded.of(text)
    assert background_cue(f.text, 0, len(f.text))


def test_single_attack_is_not_background():
    f = Folded.of("a drone attack hit a car near the town on Tuesday")
    assert background_cue(f.text, 0, len(f.text)) is None
