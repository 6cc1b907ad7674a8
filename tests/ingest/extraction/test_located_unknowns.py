"""Rules for what the gazetteer does not know, and for summaries and back-references.

- Unknown villages the text itself locates ("قرى "A، وB" في منطقة Y", "the villages of A and B
  near Y", "A, a village near Y") are events coded to Y with geo_precision 2.
- Military facilities the gazetteer lacks ("الفوج 19 دفاع جوي قرب ... بريف حمص", "the 4th
  Armoured Division near Damascus") are sites at the known place that locates them.
- Named areas (``kind`` area in regions.csv: "جبل الزاوية") are coded to their central town.
- A place after a relative clause of control ("which is under the control of X north of Y")
  only says where the controlled area lies.
- A lead that lists several places ("struck Damascus, Homs and Hama") is restated by the
  body's events in the same governorates.
- "The attack" / "الهجوم" with no weapon of its own is the attack already reported.
- Missiles fired by aircraft named in the clause make an air strike.

Every sentence here is written for these tests; the place names of unknown villages are
invented (they must not be in the gazetteer, which the first test checks).
"""
from datetime import date

import pytest

from ingest.extraction import ArticleInput, extract
from ingest.extraction.gazetteer import Gazetteer

PUB = date(2024, 3, 14)  # a Thursday
UNKNOWN = ["زعرورة الشرقية", "خربة الوردان", "تل قنيطرة الصغرى", "Kafr Zaaroura", "Deir Wardan", "Umm Qasabat"]


@pytest.fixture(scope="module")
def gaz():
    return Gazetteer.bundled()


def run(gaz, text, language, title="", published=PUB):
    return extract(ArticleInput(text=text, title=title, published=published, language=language), gaz)


def test_the_invented_names_are_not_in_the_gazetteer(gaz):
    for name in UNKNOWN:
        assert gaz.lookup(name) == [], name
    # nor their generic heads ("Deir" alone is not a place: stopnames.txt)
    assert gaz.locate("Shelling hit Deir Wardan on Thursday.") == []


# --- named areas -----------------------------------------------------------------------------

def test_a_named_area_is_coded_to_its_central_town_with_precision_2(gaz):
    loc = gaz.locate("قصفت قوات النظام بلدات جبل الزاوية بريف إدلب")[0]
    assert loc.entry.kind == "area" and loc.geo_precision == 2
    assert loc.entry.admin1 == "Idlib"
    en = gaz.locate("Shelling hit Jabal al-Zawiya in southern Idlib")[0]
    assert en.entry.id == loc.entry.id


# --- unknown villages located by the text ------------------------------------------------------

def test_arabic_list_of_unknown_villages_in_a_named_area(gaz):
    text = ('قصفت الطائرات الحربية الروسية، اليوم الخميس، بلدات "زعرورة الشرقية، وخربة الوردان" '
            "في منطقة جبل الزاوية بريف إدلب الجنوبي.")
    ex = run(gaz, text, "ar")
    names = sorted(e.location for e in ex.events)
    assert names == ["خربة الوردان (near Jabal al-Zawiya)", "زعرورة الشرقية (near Jabal al-Zawiya)"]
    for e in ex.events:
        assert e.geo_precision == 2 and e.event_date == PUB
        assert e.sub_event_type == "Air/drone strike"  # warplanes firing: an air strike


def test_an_anaphor_after_the_names_refers_to_the_last_locating_place(gaz):
    text = ('قصفت المدفعية، اليوم الخميس، قرية "زعرورة الشرقية" في منطقة جبل الزاوية بريف إدلب.\n\n'
            'كما استهدف قصف مدفعي مماثل بلدة "خربة الوردان" في ذات المنطقة.')
    ex = run(gaz, text, "ar")
    assert sorted(e.location for e in ex.events) == [
        "خربة الوردان (near Jabal al-Zawiya)", "زعرورة الشرقية (near Jabal al-Zawiya)"]


def test_english_villages_of_near_a_town(gaz):
    text = "Government artillery shelled the villages of Kafr Zaaroura and Deir Wardan near Saraqib on Thursday."
    ex = run(gaz, text, "en")
    names = sorted(e.location for e in ex.events)
    assert names == ["Deir Wardan (near Sarāqib)", "Kafr Zaaroura (near Sarāqib)"]
    assert all(e.geo_precision == 2 for e in ex.events)


def test_english_apposition_a_village_near_a_town(gaz):
    ex = run(gaz, "A drone struck a car in Umm Qasabat, a village near Saraqib, on Thursday.", "en")
    assert [e.location for e in ex.events] == ["Umm Qasabat (near Sarāqib)"]


def test_a_governorate_or_a_big_city_never_locates_an_unknown_village(gaz):
    ex = run(gaz, "Rockets landed near Deir Wardan town in Kirkuk on Thursday.", "en")
    assert not any("near" in e.location for e in ex.events)
    ex = run(gaz, 'قصفت المدفعية اليوم الخميس قرية "خربة الوردان" في حلب.', "ar")
    assert not any("near" in e.location for e in ex.events)


def test_words_that_describe_the_villages_are_not_names(gaz):
    ex = run(gaz, "قصفت المدفعية اليوم الخميس قرى مجاورة في منطقة جبل الزاوية.", "ar")
    assert not any("near" in e.location for e in ex.events)
    # a verb after the noun: not a list of names
    ex = run(gaz, "قالت مصادر إن قرى تعرضت للقصف اليوم الخميس في منطقة جبل الزاوية.", "ar")
    assert not any("near" in e.location for e in ex.events)


# --- military facilities ----------------------------------------------------------------------

@pytest.mark.parametrize("text, lang, name, place", [
    ("استهدفت غارة إسرائيلية فجر اليوم الفوج 19 دفاع جوي قرب مدينة حماة.", "ar", "الفوج 19 دفاع جوي", "Hama"),
    ("قصفت الطائرات كلية المدفعية في مدينة حلب اليوم الخميس.", "ar", "كلية المدفعية", "Aleppo"),
    ("أصابت صواريخ ثكنة زعرورة وسط مدينة طرطوس اليوم.", "ar", "ثكنة زعرورة", "Tartus"),
    ("Israeli jets struck the 4th Armoured Division near Damascus on Thursday.", "en", "4th Armoured Division", "Damascus"),
    ("Missiles hit the Air Defence College in Homs on Thursday.", "en", "Air Defence College", "Homs"),
])
def test_a_military_facility_is_a_site_at_the_place_that_locates_it(gaz, text, lang, name, place):
    ex = run(gaz, text, lang)
    sites = [s for s in ex.sites if s.name == name]
    assert len(sites) == 1, [s.name for s in ex.sites]
    s = sites[0]
    assert s.kind == "base" and s.slug == "" and s.name_text == name
    assert gaz.lookup(place) and any(abs(s.latitude - e.lat) < 1e-6 for e in gaz.lookup(place))


@pytest.mark.parametrize("text, lang", [
    ("قال اللواء محمد إن القوات قصفت مدينة حماة اليوم.", "ar"),  # a rank before a person
    ("قصفت الطائرات قاعدة عسكرية قرب مدينة حمص اليوم.", "ar"),  # a described base, no name
    ("قصفت الطائرات كلية الطب في مدينة حلب اليوم.", "ar"),  # not a military school
    ("Missiles hit a college and a division of the ministry in Homs on Thursday.", "en"),
    ("Drones struck the 4th Armoured Division on Thursday.", "en"),  # no place locates it
])
def test_no_facility_site_without_a_military_name_and_a_place(gaz, text, lang):
    assert run(gaz, text, lang).sites == []


def test_a_facility_the_gazetteer_knows_is_its_site_not_a_new_one(gaz):
    ex = run(gaz, "استهدفت طائرة مسيرة قاعدة حميميم في ريف اللاذقية اليوم.", "ar")
    assert [s.slug != "" for s in ex.sites] == [True]


# --- relative clauses of control -------------------------------------------------------------

def test_a_place_after_a_relative_clause_of_control_is_not_the_attack_place(gaz):
    text = ("Turkish forces shelled Deir Wardan township, which is under the control of the SDF north of Raqqa, "
            "on Thursday.")
    assert run(gaz, text, "en").events == []
    text = "Turkish forces shelled areas under the control of the SDF in Raqqa on Thursday."
    assert [e.location for e in run(gaz, text, "en").events] == ["Ar Raqqah"]


def test_arabic_relative_clause_of_control(gaz):
    text = "قصفت القوات التركية اليوم الخميس بلدة زعرورة الخاضعة لسيطرة قسد شمال الرقة."
    assert run(gaz, text, "ar").events == []


# --- summary leads ---------------------------------------------------------------------------

def test_a_lead_listing_cities_is_restated_by_the_body(gaz):
    text = ("Israeli warplanes struck Damascus, Homs and Hama on Wednesday, hitting several military sites.\n\n"
            "In Homs, the strikes hit the T4 air base in the eastern countryside on Wednesday.\n\n"
            "In Damascus, an airstrike hit a research centre in Barzeh on Wednesday.")
    ex = run(gaz, text, "en")
    locations = sorted(e.location for e in ex.events)
    assert "Homs" not in locations  # restated by the T4 event (same governorate)
    assert any("T4" in x for x in locations)


def test_two_places_that_are_not_a_list_stay_two_events(gaz):
    text = ("A Turkish drone struck a car near Makhmour, south of Erbil, on Wednesday.\n\n"
            "Turkish warplanes also bombed mountains in Erbil province on Wednesday.")
    ex = run(gaz, text, "en")
    assert any("Makhmour" in e.location or "Mexmur" in e.location for e in ex.events)


# --- back-references and delivery -------------------------------------------------------------

def test_the_attack_refers_to_the_attack_already_reported(gaz):
    text = ("An Israeli drone attacked a car in the occupied Golan Heights on Thursday, killing a man.\n\n"
            "State media said Thursday's attack took place near Quneitra.")
    ex = run(gaz, text, "en")
    assert [e.sub_event_type for e in ex.events] == ["Air/drone strike"]
    text = ("استهدفت طائرة مسيرة إسرائيلية سيارة في الجولان المحتل اليوم الخميس.\n\n"
            "ووقع الهجوم قرب مدينة القنيطرة.")
    assert [e.sub_event_type for e in run(gaz, text, "ar").events] == ["Air/drone strike"]


def test_an_indefinite_attack_keeps_its_own_type(gaz):
    text = ("An Israeli drone attacked a car in the occupied Golan Heights on Thursday.\n\n"
            "Gunmen attacked a checkpoint near Daraa on Thursday.")
    ex = run(gaz, text, "en")
    assert [e.sub_event_type for e in ex.events if "Dar" in e.location] != ["Air/drone strike"]


def test_missiles_fired_by_aircraft_are_an_air_strike(gaz):
    ex = run(gaz, "قصفت الطائرات الحربية الروسية بصواريخ شديدة الانفجار مدينة أريحا اليوم الخميس.", "ar")
    assert [e.sub_event_type for e in ex.events] == ["Air/drone strike"]
    ex = run(gaz, "Militants fired rockets at the town of Ariha on Thursday.", "en")
    assert [e.sub_event_type for e in ex.events] == ["Shelling/artillery/missile attack"]
