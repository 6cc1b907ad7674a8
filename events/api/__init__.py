"""The public read-only API (issue 7): GeoJSON events, timeline, sites, ACLED CSV."""
