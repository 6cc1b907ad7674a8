"""ACLED's vocabulary, as plain data.

Field names, event types and their order follow ACLED's codebook so that exports load in
the tools that read ACLED CSV. Nothing here imports Django: the extractor uses it too.
"""
from __future__ import annotations

DISORDER_TYPES = (
    "Political violence",
    "Demonstrations",
    "Strategic developments",
    "Political violence; Demonstrations",
)

# event_type -> its sub_event_types, in the codebook's order.
EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "Battles": ("Armed clash", "Government regains territory", "Non-state actor overtakes territory"),
    "Explosions/Remote violence": (
        "Chemical weapon",
        "Air/drone strike",
        "Suicide bomb",
        "Shelling/artillery/missile attack",
        "Remote explosive/landmine/IED",
        "Grenade",
    ),
    "Violence against civilians": ("Sexual violence", "Attack", "Abduction/forced disappearance"),
    "Protests": ("Peaceful protest", "Protest with intervention", "Excessive force against protesters"),
    "Riots": ("Violent demonstration", "Mob violence"),
    "Strategic developments": (
        "Agreement",
        "Arrests",
        "Change to group/activity",
        "Disrupted weapons use",
        "Headquarters or base established",
        "Looting/property destruction",
        "Non-violent transfer of territory",
        "Other",
    ),
}

SUB_EVENT_TO_EVENT: dict[str, str] = {sub: event for event, subs in EVENT_TYPES.items() for sub in subs}
SUB_EVENT_TYPES: tuple[str, ...] = tuple(SUB_EVENT_TO_EVENT)

EVENT_TO_DISORDER: dict[str, str] = {
    "Battles": "Political violence",
    "Explosions/Remote violence": "Political violence",
    "Violence against civilians": "Political violence",
    "Protests": "Demonstrations",
    "Riots": "Political violence; Demonstrations",
    "Strategic developments": "Strategic developments",
}

# ACLED's numeric actor-type ("inter") codes.
INTER_CODES: dict[int, str] = {
    1: "State forces",
    2: "Rebel groups",
    3: "Political militias",
    4: "Identity militias",
    5: "Rioters",
    6: "Protesters",
    7: "Civilians",
    8: "External/Other forces",
}

GEO_PRECISION = {
    1: "The named town or site itself",
    2: "Near a town, or part of a region (coded to the nearby town)",
    3: "A larger region (coded to its capital or a central feature)",
}
TIME_PRECISION = {
    1: "The exact day",
    2: "Within a week or a few days",
    3: "Only the month",
}

# The columns of an ACLED export, in ACLED's order.
CSV_COLUMNS: tuple[str, ...] = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)


def event_type_for(sub_event_type: str) -> str:
    return SUB_EVENT_TO_EVENT[sub_event_type]


def disorder_type_for(sub_event_type: str) -> str:
    return EVENT_TO_DISORDER[SUB_EVENT_TO_EVENT[sub_event_type]]


def interaction_code(inter1: int | None, inter2: int | None) -> str:
    """ACLED's two-digit interaction code: the smaller inter code first (e.g. 13, 18, 80)."""
    if not inter1:
        return ""
    if not inter2:
        return f"{inter1}0"
    low, high = sorted((inter1, inter2))
    return f"{low}{high}"

# ISO 3166-1 alpha-2 -> (ACLED country name, ISO numeric, ACLED region), for the countries
# the bundled gazetteer covers. Others export with their ISO2 code as the name.
COUNTRIES: dict[str, tuple[str, int, str]] = {
    "SY": ("Syria", 760, "Middle East"),
    "IQ": ("Iraq", 368, "Middle East"),
    "LB": ("Lebanon", 422, "Middle East"),
    "JO": ("Jordan", 400, "Middle East"),
    "IL": ("Israel", 376, "Middle East"),
    "PS": ("Palestine", 275, "Middle East"),
    "YE": ("Yemen", 887, "Middle East"),
    "IR": ("Iran", 364, "Middle East"),
    "TR": ("Turkey", 792, "Middle East"),
    "SA": ("Saudi Arabia", 682, "Middle East"),
    "KW": ("Kuwait", 414, "Middle East"),
    "AE": ("United Arab Emirates", 784, "Middle East"),
    "QA": ("Qatar", 634, "Middle East"),
    "BH": ("Bahrain", 48, "Middle East"),
    "OM": ("Oman", 512, "Middle East"),
    "EG": ("Egypt", 818, "Northern Africa"),
    "CY": ("Cyprus", 196, "Europe"),
}


def country_name(iso2: str) -> str:
    return COUNTRIES.get(iso2, (iso2, 0, ""))[0]
