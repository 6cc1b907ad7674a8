"""The gazetteer: place names in Arabic and English news text resolved to points, offline.

The sentences are written for these tests. Distances are checked against the bundled
data's own coordinates, so a test fails when matching or resolution goes wrong, not when
a source moves a point by a few hundred metres.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ingest.extraction.gazetteer import Entry, Gazetteer, Location
from ingest.extraction.gazetteer_data import haversine_km

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "data" / "samples" / "000-almayadeen-2023-10-27.json"


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.bundled()


def first(gaz: Gazetteer, text: str) -> Location:
    locations = gaz.locate(text)
    assert locations, f"nothing located in {text!r}"
    return locations[0]


def km(loc: Location, entry: Entry) -> float:
    return haversine_km(loc.lat, loc.lon, entry.lat, entry.lon)


# --- finding names ----------------------------------------------------------------------

def test_names_are_found_in_both_scripts(gaz):
    assert first(gaz, "غارات على مدينة الموصل").entry.name == "Mosul"
    assert first(gaz, "An airstrike hit Mosul on Friday").entry.name == "Mosul"


def test_the_longest_name_wins(gaz):
    mentions = gaz.mentions("قصف في دير الزور")
    assert [m.text for m in mentions] == ["دير الزور"]


def test_names_after_arabic_clitics_are_found(gaz):
    text = "وصلت التعزيزات وبالميادين ثم للبوكمال"
    found = [(m.text, m.candidates[0].name) for m in gaz.mentions(text)]
    # للبوكمال is ل + البوكمال with the article's alef dropped: the name is what follows لل
    assert found == [("الميادين", "Al Mayādīn"), ("بوكمال", "Ālbū Kamāl")]


def test_a_name_inside_another_word_is_not_a_place(gaz):
    # تحرير (liberation) contains حرير (Harir)
    assert gaz.mentions("قالت هيئة تحرير الشام") == []


def test_mention_offsets_point_at_the_original_text(gaz):
    text = 'استهدفت قـاعـدة "عين الأسد" فجراً'
    (mention,) = gaz.mentions(text)
    assert text[mention.start:mention.end] == mention.text
    assert "عين الأسد" in mention.text


def test_mentions_are_in_text_order_and_do_not_overlap(gaz):
    text = "From Erbil to Kirkuk and then Mosul, the convoy passed Makhmour."
    mentions = gaz.mentions(text)
    assert [m.text for m in mentions] == ["Erbil", "Kirkuk", "Mosul", "Makhmour"]
    assert all(a.end <= b.start for a, b in zip(mentions, mentions[1:]))


# --- what is not a place --------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "أعلنت الوزارة يوم الجمعة أنها ستعقد اجتماعاً",  # الجمعة is a village name in GeoNames
    "قال بايدن إن بلاده لا تسعى إلى الحرب",  # بايدن = ب + ايدن (Aydın)
    "أفادت مصادر للميادين بأن الاجتماع انتهى",  # the TV channel, not the town
    "وأشار إلى أن الحكومة أصدرت بياناً",
    "التقطت صور للقصف",  # صور (pictures) is also Tyre
])
def test_common_arabic_words_are_not_places(gaz, text):
    assert gaz.locate(text) == []


@pytest.mark.parametrize("text", [
    "the strike hit a depot, the army said",
    "Hit by a drone, the truck burned",  # Hit (Anbar) needs a place cue
    "officials met on Friday in a closed session",
])
def test_lowercase_or_uncued_english_words_are_not_places(gaz, text):
    assert gaz.locate(text) == []


def test_cued_ambiguous_names_are_places_next_to_a_place_cue(gaz):
    assert first(gaz, "غارة إسرائيلية على مدينة صور").entry.name == "Tyre"
    assert first(gaz, "fighting in the town of Hit").entry.country == "IQ"


def test_codes_only_match_in_capitals(gaz):
    assert first(gaz, "The T4 airbase was struck").entry.slug == "t4-tiyas-air-base"
    assert not any(loc.entry.slug == "t4-tiyas-air-base" for loc in gaz.locate("Rule t4 applies"))


# --- sites ------------------------------------------------------------------------------

def test_a_site_noun_prefers_the_site(gaz):
    loc = first(gaz, 'قصفت المقاومة قاعدة "حرير" بطائرتين')
    assert loc.entry.slug == "harir-air-base"
    assert loc.entry.is_site and loc.geo_precision == 1


def test_both_sites_of_a_locating_phrase_are_returned_in_order(gaz):
    text = 'استهدفت قاعدة "حرير" المجاورة لمطار أربيل بطائرة مسيرة'
    locations = gaz.locate(text)
    assert [loc.entry.slug for loc in locations] == ["harir-air-base", "erbil-airport"]
    harir, airport = locations
    assert text[harir.head_start:harir.head_end].endswith("حرير")
    assert text[airport.start:airport.end] == "مطار أربيل"
    assert harir.end <= airport.start


def test_two_names_of_one_site_joined_by_a_dash_are_one_location(gaz):
    text = 'استهدفت "مطار أبو حجر - خراب الجير" برشقة صاروخية'
    (loc,) = gaz.locate(text)
    assert loc.entry.slug == "kharab-al-jir"
    assert loc.text == "مطار أبو حجر - خراب الجير"


def test_a_bare_site_name_needs_its_noun(gaz):
    assert [loc.entry.slug for loc in gaz.locate('انفجار في حقل غاز "كونيكو"')] == ["conoco-gas-field"]
    assert gaz.locate("كونيكو") == []


def test_english_site_noun_after_the_name(gaz):
    assert first(gaz, "Rockets landed inside Ain al-Asad air base").entry.slug == "ain-al-asad"
    loc = first(gaz, "Drones targeted the Hama Air Base overnight")
    assert loc.entry.kind == "airbase" and loc.entry.country == "SY"


def test_a_base_at_an_oil_field_is_the_base(gaz):
    loc = first(gaz, "استهدفت المقاومة قاعدة حقل العمر النفطي")
    assert loc.entry.kind == "base"
    assert loc.entry.slug == "green-village-al-omar-base"


# --- ambiguity ----------------------------------------------------------------------------

def _village(id_: str, country: str, admin1: str, lat: float, lon: float) -> Entry:
    return Entry(id=id_, name="Al Hamra", name_ar="الحمراء", names=("Al Hamra", "الحمراء"), lat=lat, lon=lon,
                 kind="village", country=country, admin1=admin1, population=800)


@pytest.fixture(scope="module")
def twins() -> Gazetteer:
    """Two villages with one name, in Syria and in Iraq, and the places around them."""
    base = Gazetteer.bundled()
    keep = [base.by_id[i] for i in ("region:SY", "region:IQ", "region:SY-HM", "region:IQ-NI")]
    keep += [e for e in base.entries if e.name in ("Mosul", "Ḩamāh", "Tikrīt")]
    return Gazetteer([*keep, _village("t:sy", "SY", "Hama", 35.30, 36.60), _village("t:iq", "IQ", "Nineveh", 36.30, 43.30)])


def test_the_country_named_in_the_sentence_decides(twins):
    assert first(twins, "قصف على قرية الحمراء في سوريا").entry.id == "t:sy"
    assert first(twins, "قصف على قرية الحمراء في العراق").entry.id == "t:iq"


def test_the_governorate_named_after_the_place_decides(twins):
    assert first(twins, "قصف على قرية الحمراء بريف حماة").entry.id == "t:sy"
    assert first(twins, "A drone struck Al Hamra in Iraq's Nineveh province").entry.id == "t:iq"


def test_the_articles_other_places_decide(twins):
    article = "Clashes broke out near Mosul.\n\nLater a drone struck Al Hamra."
    context = twins.context_for(article)
    start = article.index("Later")
    assert twins.locate(article, start, len(article), context=context)[0].entry.id == "t:iq"


def test_population_decides_without_context(gaz):
    # Several places are called Erbil/Irbid-like names; the big city comes first.
    (mention,) = gaz.mentions("Erbil")
    assert mention.candidates[0].name == "Erbil"


def test_a_city_beats_its_governorate_unless_the_governorate_is_named(gaz):
    city = first(gaz, "قصف على حلب")
    assert city.entry.kind == "city" and city.geo_precision == 1
    governorate = first(gaz, "قصف في محافظة حلب")
    assert governorate.entry.kind == "admin1" and governorate.geo_precision == 3
    assert km(governorate, city.entry) < 1  # coded to its capital


def test_english_province_after_the_name(gaz):
    loc = first(gaz, "attacks in Iraq's Anbar province")
    assert loc.entry.kind == "admin1" and loc.geo_precision == 3
    assert loc.text == "Iraq's Anbar province"


# --- relative locations --------------------------------------------------------------------

def test_distance_and_direction_move_the_point(gaz):
    loc = first(gaz, "A roadside bomb exploded 20 km south of Mosul")
    mosul = loc.entry
    assert loc.geo_precision == 2 and loc.relation == "offset"
    assert 18 < km(loc, mosul) < 22
    assert loc.lat < mosul.lat and abs(loc.lon - mosul.lon) < 0.05
    assert loc.text == "20 km south of Mosul"


def test_arabic_distance_and_direction(gaz):
    loc = first(gaz, "انفجرت عبوة على بعد ٢٠ كم جنوب بعقوبة")
    assert loc.relation == "offset" and loc.geo_precision == 2
    assert 18 < km(loc, loc.entry) < 22 and loc.lat < loc.entry.lat


def test_direction_without_distance_is_near_the_town(gaz):
    loc = first(gaz, "استهدفت غارتان منطقة جنوب شرقي مدينة الميادين")
    assert loc.entry.name == "Al Mayādīn"
    assert loc.geo_precision == 2 and km(loc, loc.entry) == 0
    assert loc.text.startswith("منطقة جنوب شرقي")


@pytest.mark.parametrize("text,relation", [
    ("قصف مدفعي على ريف إدلب", "countryside"),
    ("fighting in the Idlib countryside", "countryside"),
    ("a drone strike near Kirkuk", "near"),
    ("clashes on the outskirts of Sinjar", "near"),
    ("اشتباكات في بادية الميادين", "desert"),
    ("قصف في محيط مدينة حمص", "near"),
])
def test_near_countryside_and_desert_have_precision_2(gaz, text, relation):
    loc = first(gaz, text)
    assert (loc.relation, loc.geo_precision) == (relation, 2)


def test_a_governorate_or_region_alone_has_precision_3(gaz):
    assert first(gaz, "في محافظة دير الزور").geo_precision == 3
    loc = first(gaz, "تعزيزات إلى شمال شرقي سوريا")
    assert loc.entry.kind == "region" and loc.geo_precision == 3


def test_a_qualifier_is_folded_into_the_place_it_locates(gaz):
    text = "قصفت المدفعية بلدة الخيام في جنوب لبنان"
    (loc,) = gaz.locate(text)
    assert loc.entry.name == "Khiam"
    assert loc.text == "بلدة الخيام في جنوب لبنان"
    assert text[loc.head_start:loc.head_end] == "الخيام"


def test_and_joins_two_places_it_does_not_qualify(gaz):
    text = 'استهدفت خط الغاز بين حقل غاز "كونيكو" وبادية أبو خشب'
    assert len(gaz.locate(text)) == 2


def test_locate_only_looks_inside_the_span(gaz):
    text = "Clashes in Mosul. A drone struck Kirkuk."
    start = text.index("A drone")
    assert [loc.entry.name for loc in gaz.locate(text, start, len(text))] == ["Kirkuk"]


def test_an_entry_without_coordinates_is_not_located():
    entry = Entry(id="t:x", name="Nowhere Base", name_ar="", names=("Nowhere Base",), lat=None, lon=None,
                  kind="base", country="SY", is_site=True, slug="nowhere")
    assert Gazetteer([entry]).locate("They hit Nowhere Base") == []


# --- the development article -------------------------------------------------------------

def _find(text: str, phrase: str) -> tuple[int, int]:
    """The span of ``phrase`` in ``text``, quotes between words allowed."""
    words = [re.escape(w) for w in phrase.replace('"', " ").split()]
    m = re.search(r'\s*["«»“”]?\s*'.join(words), text)
    assert m, phrase
    return m.start(), m.end()


def _sample_places():
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    places = []
    for ev in data["events"]:
        if ev["lat"] is not None and ev["place_text"]:
            # "هذه المنطقة (جنوب شرقي مدينة الميادين)": the place is the part in brackets
            phrase = re.sub(r"^.*\((.*)\)$", r"\1", ev["place_text"])
            places.append(pytest.param(phrase, ev["lat"], ev["lon"], id=f"event:{ev['place_en']}"))
    for base in data["bases"]:
        places.append(pytest.param(base["name_text"], base["lat"], base["lon"], id=f"base:{base['name_en']}"))
    return data["text"], places


SAMPLE_TEXT, SAMPLE_PLACES = _sample_places()


@pytest.mark.parametrize("phrase,lat,lon", SAMPLE_PLACES)
def test_every_place_of_the_development_article_resolves_within_10_km(gaz, phrase, lat, lon):
    context = gaz.context_for(SAMPLE_TEXT)
    start, end = _find(SAMPLE_TEXT, phrase)
    locations = gaz.locate(SAMPLE_TEXT, start, end, context=context)
    assert locations, phrase
    assert haversine_km(locations[0].lat, locations[0].lon, lat, lon) <= 10


def test_the_development_articles_bases_are_sites(gaz):
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    for base in data["bases"]:
        start, end = _find(SAMPLE_TEXT, base["name_text"])
        assert gaz.locate(SAMPLE_TEXT, start, end)[0].entry.is_site, base["name_text"]


# --- building --------------------------------------------------------------------------

def test_the_bundled_gazetteer_is_built_once(gaz):
    assert Gazetteer.bundled() is gaz
    assert len(gaz) > 9000
    assert gaz.by_slug["al-tanf-garrison"].name_ar == "قاعدة التنف"


def test_lowercase_machine_transliterations_are_not_names(gaz):
    mayadin = gaz.by_id["geonames:173480"]
    assert "almyadyn" not in mayadin.names
    assert "Al-Mayadeen" in mayadin.names


@pytest.mark.parametrize("text", [
    "Syria's state news agency SANA said the strike hit Homs.",
    "The strike hit Homs, SANA reported.",
    "An official told SANA that the strike hit Homs.",
])
def test_the_news_agency_sana_is_not_the_city_of_sanaa(gaz, text):
    names = [m.candidates[0].name for m in gaz.mentions(text)]
    assert "Sanaa" not in names
    assert "Homs" in names


def test_sanaa_written_out_is_still_the_yemeni_capital(gaz):
    (mention,) = gaz.mentions("Airstrikes hit Sanaa on Monday.")
    assert mention.candidates[0].country == "YE"
