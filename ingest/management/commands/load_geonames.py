"""Load full GeoNames files (SY.txt, IQ.txt, allCountries.zip, alternateNamesV2.txt...) into Place.

Give any mix of:
- geoname-table files (19 tab-separated columns; .txt, .gz or the .zip GeoNames serves):
  populated places, admin divisions and the facilities in FEATURE_KINDS (air bases,
  military bases, dams, ports, border posts, oil fields...) become Place rows;
- alternateNames / alternateNamesV2 files: their Arabic (and unlabelled) names are added
  to the places of this run and to GeoNames places already in the table.
Idempotent: places are keyed on their geonameid, unchanged rows are not written. Names
are filtered like the bundled data (no lowercase transliterations, codes or other scripts).
"""
from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ingest.extraction.gazetteer_data import _lines, admin1_names, read_alternate_names, read_geonames
from ingest.geocoding import place_entry, upsert_places


def is_alternate_names(path: Path) -> bool:
    """alternateNames files have a numeric id, a geonameid and a language code first."""
    if "alternatename" in path.name.lower():
        return True
    for line in _lines(path):
        cols = line.rstrip("\n").split("\t")
        return 8 <= len(cols) <= 10 and cols[0].isdigit() and cols[1].isdigit() and not _is_float(cols[3])
    return False


def _is_float(value: str) -> bool:
    try:
        float(value)
        return True
    except ValueError:
        return False


class Command(BaseCommand):
    help = "Load GeoNames country dumps and alternate-name files into the Place table (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--countries", default="", help="Comma-separated ISO2 codes to keep (default: all in the file).")

    def handle(self, *args, files: list[Path], countries: str, **options):
        from events.models import Place

        started = time.perf_counter()
        for path in files:
            if not path.exists():
                raise CommandError(f"{path}: no such file")
        keep = frozenset(c.strip().upper() for c in countries.split(",") if c.strip()) or None
        alt_files = [p for p in files if is_alternate_names(p)]
        geo_files = [p for p in files if p not in alt_files]
        extra: dict[str, list[str]] = {}
        for path in alt_files:
            for gid, names in read_alternate_names(path).items():
                extra.setdefault(gid, []).extend(names)
        admin = admin1_names()
        rows = {}
        for path in geo_files:
            for entry in read_geonames(path, admin, keep, extra=extra):
                rows[entry.id] = (entry, "geonames", entry.id.split(":", 1)[1])
        # Alternate names for GeoNames places already loaded (bundled or an earlier run).
        if extra:
            for place in Place.objects.filter(source="geonames", source_id__in=[g for g in extra if f"geonames:{g}" not in rows]):
                entry = place_entry(place)
                names = tuple(dict.fromkeys([*entry.names, *extra[place.source_id]]))
                if names != entry.names:
                    from dataclasses import replace

                    entry = replace(entry, names=names, name_ar=entry.name_ar or next((n for n in names if _arabic(n)), ""))
                rows[entry.id] = (entry, "geonames", place.source_id)
        counts = upsert_places(rows.values())
        self.stdout.write(
            f"places: {counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged "
            f"from {len(geo_files)} GeoNames file(s) and {len(alt_files)} alternate-names file(s) "
            f"in {time.perf_counter() - started:.1f} s"
        )


def _arabic(name: str) -> bool:
    from ingest.extraction.normalise import is_arabic

    return is_arabic(name)
