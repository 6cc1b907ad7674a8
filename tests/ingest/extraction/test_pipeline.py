"""Whole-article behaviour of the extractor on short texts written for these tests."""
from datetime import date

import pytest

from ingest.extraction import ArticleInput, extract
from ingest.extraction.gazetteer import Gazetteer


@pytest.fixture(scope="module")
def gaz():
    return Gazetteer.bundled()


def run(gaz, text, published, language=None, title=""):
    return extract(ArticleInput(text=text, title=title, published=published, language=language), gaz)


def near(event, lat, lon, km=15):
    import math

    dy = (event.latitude - lat) * 111
    dx = (event.longitude - lon) * 111 * math.cos(math.radians(lat))
    return math.hypot(dx, dy) <= km


KIRKUK = (35.468, 44.392)
MOSUL = (36.34, 43.13)
MANBIJ = (36.528, 37.955)
AIN_AL_ASAD = (33.7856, 42.4412)


def test_arabic_drone_strike_with_date_place_actor_and_casualties(gaz):
    text = (
        "أفادت مصادر محلية، اليوم الثلاثاء، بأن طائرة مسيّرة تركية استهدفت سيارة في مدينة منبج بريف حلب الشرقي، "
        "ما أدى إلى مقتل ثلاثة أشخاص وإصابة ٤ آخرين.\n\n"
        "ويقول سكان إن أسعار الخبز ارتفعت خلال الأسبوع."
    )
    ex = run(gaz, text, date(2024, 3, 12), "ar")
    assert len(ex.events) == 1
    ev = ex.events[0]
    assert ev.sub_event_type == "Air/drone strike"
    assert ev.event_date == date(2024, 3, 12) and ev.time_precision == 1
    assert near(ev, *MANBIJ)
    assert ev.actor1 == "Military Forces of Turkey" and ev.inter1 == 8
    assert (ev.fatalities, ev.injured) == (3, 4)
    assert ev.weapon == "drone"
    fields = {e.field for e in ev.evidence}
    assert {"sub_event_type", "event_date", "location", "actor1", "fatalities", "injured"} <= fields
    for e in ev.evidence:  # every span points at the text it quotes
        assert text[e.start:e.end] == e.text
    by_field = {e.field: e.text for e in ev.evidence}
    assert "منبج" in by_field["location"]
    assert by_field["event_date"].startswith("اليوم")


def test_english_rocket_attack_on_a_base_is_a_site_event(gaz):
    text = (
        "BAGHDAD - Three rockets struck Ain al-Asad air base in Iraq's Anbar province on Sunday, "
        "an Iraqi security official said, adding that no casualties were reported."
    )
    ex = run(gaz, text, date(2024, 3, 12), "en")
    assert len(ex.events) == 1
    ev = ex.events[0]
    assert ev.sub_event_type == "Shelling/artillery/missile attack"
    assert ev.event_date == date(2024, 3, 10)
    assert near(ev, *AIN_AL_ASAD, km=5)
    assert ev.site_slug
    assert (ev.fatalities, ev.injured) == (0, 0)
    assert any(s.slug == ev.site_slug for s in ex.sites)
    assert "Military Forces of the United States" != ev.actor1


def test_two_places_in_a_list_are_two_events(gaz):
    text = "Turkish artillery shelled the towns of Manbij and Kobani on Friday, local sources said."
    ex = run(gaz, text, date(2024, 3, 9), "en")
    assert len(ex.events) == 2
    assert {e.event_date for e in ex.events} == {date(2024, 3, 8)}


def test_title_and_lead_restating_one_event_are_merged(gaz):
    text = (
        "Islamic State militants attacked an army checkpoint in Kirkuk on Monday, killing two soldiers.\n\n"
        "The attack on the checkpoint in Kirkuk on Monday was the deadliest this month, officials said."
    )
    ex = run(gaz, text, date(2024, 3, 12), "en", title="ISIS attack kills two soldiers in Kirkuk")
    kirkuk = [e for e in ex.events if near(e, *KIRKUK)]
    assert len(kirkuk) == 1
    assert kirkuk[0].actor1 == "Islamic State (Iraq and Syria)"


def test_later_sentences_inherit_the_lead_date(gaz):
    text = (
        "شنت طائرات حربية روسية أمس الأحد غارات على مدينة إدلب.\n\n"
        "كما قصفت المدفعية قرى في محيط مدينة الموصل."
    )
    ex = run(gaz, text, date(2024, 3, 11), "ar")
    mosul = [e for e in ex.events if near(e, *MOSUL, km=20)]
    assert mosul and mosul[0].event_date == date(2024, 3, 10)


@pytest.mark.parametrize(
    "text, language",
    [
        ("نفى الجيش التركي أن تكون طائراته قد قصفت مدينة منبج اليوم.", "ar"),
        ("هدد قيادي في الفصيل باستهداف قاعدة عين الأسد إذا استمر التصعيد.", "ar"),
        ("The group vowed to strike Ain al-Asad air base if the raids continue.", "en"),
        ("The Pentagon said US forces have been attacked 12 times in Iraq since October.", "en"),
        ("وأكد المسؤول أن الولايات المتحدة لا تسعى إلى الصراع في العراق.", "ar"),
        ("The prime minister met a delegation in Erbil on Wednesday to discuss reforms.", "en"),
        ("رفعت الحكومة أسعار الوقود في مدينة إدلب اليوم الخميس.", "ar"),
        ("At least 35 people have been killed by drone strikes near Kirkuk since the beginning of the year.", "en"),
    ],
)
def test_no_event_for_denials_threats_tallies_policy_and_other_news(gaz, text, language):
    assert run(gaz, text, date(2024, 3, 14), language).events == []


def test_country_only_counts_are_not_events(gaz):
    ex = run(gaz, "Rockets and drones targeted US troops in Iraq and Syria on Tuesday.", date(2024, 3, 14), "en")
    assert ex.events == []


def test_every_base_named_is_a_site_even_without_an_event(gaz):
    text = "وصلت تعزيزات إلى قاعدة عين الأسد، فيما يشهد مطار أربيل حركة طيران نشطة."
    ex = run(gaz, text, date(2024, 3, 14), "ar")
    names = {s.slug for s in ex.sites}
    assert any("asad" in n for n in names)
    for s in ex.sites:
        for e in s.evidence:
            assert text[e.start:e.end] == e.text


def test_language_is_detected_when_missing(gaz):
    ex = run(gaz, "قصفت المدفعية مدينة الموصل اليوم.", date(2024, 3, 14), None)
    assert ex.language == "ar"


def test_publication_date_missing_uses_the_text(gaz):
    ex = run(gaz, "On 3 March 2024, a drone strike hit a car in Kirkuk.", None, "en")
    assert ex.events and ex.events[0].event_date == date(2024, 3, 3)


def test_empty_article(gaz):
    ex = run(gaz, "", date(2024, 3, 14), "en")
    assert ex.events == [] and ex.sites == []


def located_names(ex):
    return [(round(e.latitude, 1), round(e.longitude, 1)) for e in ex.events]


def test_dateline_and_official_titles_are_not_attack_places(gaz):
    text = "ERBIL, Kurdistan Region - A drone struck a car in Mosul on Monday, the governor of Kirkuk said."
    ex = run(gaz, text, date(2024, 3, 12), "en")
    assert len(ex.events) == 1 and near(ex.events[0], *MOSUL, km=20)


def test_a_fact_after_while_with_its_own_activity_is_not_the_attack_place(gaz):
    text = "قصفت المدفعية مدينة الموصل اليوم، بينما حلقت طائرات مسيرة فوق مدينة كركوك."
    ex = run(gaz, text, date(2024, 3, 12), "ar")
    assert len(ex.events) == 1 and near(ex.events[0], *MOSUL, km=20)


def test_unknown_village_in_a_province_is_left_unmapped(gaz):
    text = "Shelling hit Kashkulabad village in Kirkuk on Monday, killing a farmer."
    assert run(gaz, text, date(2024, 3, 12), "en").events == []


def test_arabic_anaphor_takes_the_previous_place(gaz):
    text = (
        "قتل مدنيان اليوم السبت بقصف صاروخي استهدف مدينة منبج.\n\n"
        "وكانت المدينة قد تعرضت لقصف مماثل في 2 آذار الجاري."
    )
    ex = run(gaz, text, date(2024, 3, 16), "ar")
    assert sorted(e.event_date for e in ex.events) == [date(2024, 3, 2), date(2024, 3, 16)]
    assert all(near(e, *MANBIJ) for e in ex.events)


def test_passive_victims_are_targets_not_attackers(gaz):
    text = "Two Iraqi soldiers were killed when a roadside bomb struck their patrol in Mosul on Saturday."
    ex = run(gaz, text, date(2024, 3, 16), "en")
    assert len(ex.events) == 1
    ev = ex.events[0]
    assert ev.sub_event_type == "Remote explosive/landmine/IED"
    assert ev.actor1.startswith("Unidentified") and ev.actor2 == "Military Forces of Iraq"
    assert ev.fatalities == 2


def test_site_operator_comes_from_the_gazetteer_or_the_text(gaz):
    ex = run(gaz, "سقطت صواريخ قرب قاعدة عين الأسد اليوم.", date(2024, 3, 14), "ar")
    asad = [s for s in ex.sites if "asad" in s.slug]
    assert asad and asad[0].operator  # the curated operator of the base


def test_site_operator_from_a_nisba_in_the_text(gaz):
    ex = run(gaz, "Rockets hit the American-held Mosul airport on Monday.", date(2024, 3, 12), "en")
    sites = [s for s in ex.sites if not s.operator or s.operator == "Military Forces of the United States"]
    assert ex.sites and all(s.operator for s in ex.sites), [(s.name, s.operator) for s in ex.sites]
    assert sites
