"""Load the bundled gazetteer (data/gazetteer) into the Place and Site tables.

Idempotent: rows are keyed on (source, source_id) for places and on slug for sites, and
only rows whose data changed are written, so running it again changes nothing. Aliases
that editors accepted on a Site are kept.
"""
from __future__ import annotations

import csv
import time

from django.core.management.base import BaseCommand

from ingest.extraction.gazetteer_data import SITE_KINDS, SITES_CSV, bundled_entries
from ingest.geocoding import AIRPORT_SOURCE, upsert_places, upsert_sites


def site_sources() -> dict[str, str]:
    """slug -> the "source" column of sites.csv (where the coordinates were checked)."""
    with open(SITES_CSV, encoding="utf-8", newline="") as fh:
        return {row["id"]: row["source"] for row in csv.DictReader(fh)}


class Command(BaseCommand):
    help = "Load the bundled gazetteer (GeoNames cities500, airportsdata, sites.csv, regions.csv) into Place and Site."

    def handle(self, *args, **options):
        started = time.perf_counter()
        entries = bundled_entries()
        sources = site_sources()
        places, sites = [], []
        skipped = 0
        for entry in entries:
            prefix, ident = entry.id.split(":", 1)
            if entry.is_site or entry.kind in SITE_KINDS and prefix in ("site", "airport"):
                if prefix == "airport":
                    source = AIRPORT_SOURCE.format(icao=ident)
                else:
                    source = sources.get(ident, "")
                sites.append((entry, source))
            elif entry.lat is None:
                skipped += 1  # a place needs a point; the name stays in the bundled data
            else:
                source = {"geonames": "geonames", "region": "regions", "site": "sites"}[prefix]
                places.append((entry, source, ident))
        site_counts = upsert_sites(sites)
        place_counts = upsert_places(places)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"places: {place_counts['created']} created, {place_counts['updated']} updated, "
            f"{place_counts['unchanged']} unchanged ({skipped} without coordinates skipped)\n"
            f"sites: {site_counts['created']} created, {site_counts['updated']} updated, "
            f"{site_counts['unchanged']} unchanged\n"
            f"done in {elapsed:.1f} s"
        )
