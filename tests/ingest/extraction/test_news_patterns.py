"""General news-writing patterns (each sentence here is written for these tests):

- a passive launch at a target ("three drones were launched at X") is an attack on X, even
  when the drones were shot down;
- a nisba inside a border / territory phrase is a place, not an actor; "غارة مجهولة",
  "unidentified aircraft" name an unidentified attacker;
- a denial of reports covers the whole report it denies; "لم يتعرض X لأي هجوم";
- a three-letter word that is a clitic plus an article-less city name ("فرقه", "ورقة") is
  not that city; ongoing background ("منذ أسابيع", "for weeks") is not a new event;
- a stretch between two towns is coded to the first with geo_precision 2; a short town
  name is found after a place noun ("بلدتي X وY").
"""
from datetime import date

import pytest

from ingest.extraction import ArticleInput, extract
from ingest.extraction.gazetteer import Gazetteer

PUB = date(2024, 5, 9)


@pytest.fixture(scope="module")
def gaz():
    return Gazetteer.bundled()


def run(gaz, text, language):
    return extract(ArticleInput(text=text, title="", published=PUB, language=language), gaz).events


def test_passive_launch_at_a_base_is_an_attack_even_when_shot_down(gaz):
    text = ("Three drones were launched at Harir air base north of Erbil on Tuesday night, officials said. "
            "Two of them were shot down by air defences and the third fell in a field.")
    events = run(gaz, text, "en")
    assert len(events) == 1
    e = events[0]
    assert e.sub_event_type == "Air/drone strike" and "Harir" in e.location
    assert e.event_date == date(2024, 5, 7)


def test_rockets_launched_towards_a_base_are_shelling(gaz):
    events = run(gaz, "Two rockets were launched towards Victory Base near Baghdad airport yesterday.", "en")
    assert [e.sub_event_type for e in events] == ["Shelling/artillery/missile attack"]


def test_nisba_in_a_border_phrase_is_not_the_attacker_ar(gaz):
    text = "استهدفت غارة جوية مجهولة شاحنة على أطراف مدينة الرطبة قرب الحدود العراقية السورية، مساء اليوم."
    events = run(gaz, text, "ar")
    assert events and all(e.actor1.startswith("Unidentified Armed Group") for e in events)


def test_nisba_in_a_border_phrase_is_not_the_attacker_en(gaz):
    text = "An unidentified aircraft bombed a truck near Al-Qa'im on the Iraqi-Syrian border on Thursday."
    events = run(gaz, text, "en")
    assert events and all(e.actor1.startswith("Unidentified Armed Group") for e in events)
    assert all("Iraq" not in e.actor1 or "Unidentified" in e.actor1 for e in events)


def test_a_named_actor_still_beats_a_border_phrase(gaz):
    text = "قصفت المدفعية التركية قرية قرب الحدود السورية التركية في ريف القامشلي، اليوم."
    events = run(gaz, text, "ar")
    assert events and events[0].actor1 == "Military Forces of Turkey"


@pytest.mark.parametrize("text, language", [
    ("Kurdish officials on Monday denied reports shared widely online overnight claiming that a drone had hit Sulaymaniyah airport.", "en"),
    ("نفت مديرية الأمن في المحافظة الأنباء المتداولة عن تعرض مطار السليمانية لهجوم بطائرة مسيرة.", "ar"),
    ("وقال مسؤول في المطار إن مطار السليمانية لم يتعرض اليوم لأي هجوم.", "ar"),
    ("\"No attack took place at Sulaymaniyah airport,\" a spokesman said on Monday.", "en"),
])
def test_denials_of_reports_are_not_events(gaz, text, language):
    assert run(gaz, text, language) == []


@pytest.mark.parametrize("text", ["وقال إن فرقه أسعفت الجرحى.", "وأظهرت ورقة وزعت على الصحفيين ذلك."])
def test_a_clitic_and_an_article_less_city_name_are_not_that_city(gaz, text):
    assert all(m.candidates[0].name != "Ar Raqqah" for m in gaz.mentions(text))
    assert gaz.mentions("وصلت التعزيزات للرقة")[0].candidates[0].name == "Ar Raqqah"


def test_clitic_word_gives_no_extra_event_and_background_is_not_an_event(gaz):
    text = ("أصيب ثلاثة مدنيين اليوم جراء قصف مدفعي على بلدة معرة النعمان بريف إدلب. "
            "وقال مسعفون إن فرقه نقلت الجرحى، وإن القصف دمر منزلاً. "
            "وتتعرض البلدة لقصف متقطع منذ أسابيع.")
    events = run(gaz, text, "ar")
    assert len(events) == 1 and "Ma" in events[0].location


def test_road_between_two_towns_is_coded_to_the_first_ar(gaz):
    assert gaz.lookup("نوى"), "Nawa is in GeoNames"
    text = "انفجر لغم أرضي بدورية عسكرية على الطريق الواصل بين بلدتي نوى والشيخ مسكين بريف درعا، اليوم."
    events = run(gaz, text, "ar")
    assert len(events) == 1
    e = events[0]
    assert e.location == "Nawá" and e.geo_precision == 2
    assert "(near" not in e.location


def test_road_between_two_towns_is_coded_to_the_first_en(gaz):
    events = run(gaz, "A roadside bomb hit an army vehicle on the road between Tikrit and Samarra on Wednesday.", "en")
    assert len(events) == 1
    assert "Tikr" in events[0].location and events[0].geo_precision == 2


def test_unknown_village_before_a_conjunction_and_a_known_town(gaz):
    text = "انفجرت عبوة ناسفة على الطريق الواصل بين بلدتي زعرورة الشرقية وجاسم في ريف درعا، اليوم."
    events = run(gaz, text, "ar")
    assert events and all(not e.location.endswith("و (near Jāsim)") and " و " not in e.location for e in events)


def test_a_short_name_needs_a_place_noun(gaz):
    assert [m.candidates[0].name for m in gaz.mentions("في مدينة نوى")] == ["Nawá"]
    assert gaz.mentions("قال إن نوى المشروع واضحة") == []
