"""GeoJSON (RFC 7946) for the events list, built without a per-object serializer.

The events endpoint is the hot path of the map (a month of a country, or 50,000 events
for the page's first draw). On PostGIS the whole FeatureCollection's ``features`` array
is built by the database in one query (``json_agg`` of ``json_build_object`` with
``ST_AsGeoJSON``): Python only glues a header to the text PostgreSQL returns. On
SpatiaLite (embedded mode) the same features are built from ``values_list`` rows.

Coordinates are longitude, latitude in WGS 84 with six decimals (about 10 cm), as
RFC 7946 asks; events without a point are left out of the map's collection (they are in
the CSV export).
"""
from __future__ import annotations

import json
from typing import Iterable

from django.db import connection
from django.db.models import F, QuerySet

# The properties of each feature in the list (enough for markers, the legend and the list
# panel); the popup asks /api/events/<id>/ for the rest. Kept short: 50,000 of them make the page's first draw.
SUMMARY_FIELDS: tuple[str, ...] = (
    "event_date",
    "sub_event_type",
    "actor1",
    "actor2",
    "location",
    "country",
    "fatalities",
    "review_status",
)
ORDER = ("-event_date", "-id")
PRECISION = 6


def _aliased(qs: QuerySet) -> QuerySet:
    """The rows as ``values()`` with short aliases (so the SQL can be wrapped safely)."""
    from django.contrib.gis.db.models.functions import AsGeoJSON

    columns = {f"c{i}": F(name) for i, name in enumerate(SUMMARY_FIELDS)}
    return qs.order_by(*ORDER).values(k_id=F("id"), k_geom=AsGeoJSON("point", precision=PRECISION), **columns)


def features_json(qs: QuerySet, *, limit: int) -> tuple[str, int, bool]:
    """The JSON text of the ``features`` array of the first ``limit`` events, their number,
    and whether there are more."""
    qs = qs.filter(point__isnull=False)
    if connection.vendor == "postgresql":
        return _features_postgis(qs, limit)
    return _features_python(qs, limit)


def _features_postgis(qs: QuerySet, limit: int) -> tuple[str, int, bool]:
    """The first ``limit`` rows, written as compact GeoJSON text by PostgreSQL in one query.

    ``row_to_json`` writes the properties (strings escaped, numbers as numbers, dates as
    ISO strings), ``ST_AsGeoJSON`` the geometry, and ``string_agg`` joins the features in
    the order of the ordered subquery. Whether there are more rows is asked only when the
    limit is reached.
    """
    inner_sql, params = _aliased(qs)[:limit].query.sql_with_params()
    columns = ", ".join(f't.c{i} AS "{name}"' for i, name in enumerate(SUMMARY_FIELDS))
    feature = (
        "'{\"type\":\"Feature\",\"id\":' || t.k_id || ',\"geometry\":' || coalesce(t.k_geom, 'null') || "
        f"',\"properties\":' || row_to_json((SELECT p FROM (SELECT {columns}) p))::text || '}}'"
    )
    sql = f"SELECT '[' || coalesce(string_agg({feature}, ','), '') || ']', count(*) FROM ({inner_sql}) t"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        text, count = cursor.fetchone()
    more = count == limit and qs.order_by(*ORDER)[limit : limit + 1].exists()
    return text, count, more


def _features_python(qs: QuerySet, limit: int) -> tuple[str, int, bool]:
    rows = list(qs.order_by(*ORDER).values_list("id", "point", *SUMMARY_FIELDS)[: limit + 1])
    more = len(rows) > limit
    features = [feature(row[0], row[1], dict(zip(SUMMARY_FIELDS, row[2:]))) for row in rows[:limit]]
    return json.dumps(features, ensure_ascii=False, default=str, separators=(",", ":")), len(features), more


def point_geometry(point) -> dict | None:
    if point is None:
        return None
    return {"type": "Point", "coordinates": [round(point.x, PRECISION), round(point.y, PRECISION)]}


def feature(pk: int, point, properties: dict) -> dict:
    return {"type": "Feature", "id": pk, "geometry": point_geometry(point), "properties": properties}


def collection_text(features: str, *, count: int, total: int, truncated: bool, limit: int, extra: dict | None = None) -> str:
    """A FeatureCollection around an already serialised ``features`` array."""
    head = {"type": "FeatureCollection", "count": count, "total": total, "truncated": truncated, "limit": limit}
    if extra:
        head.update(extra)
    return json.dumps(head, ensure_ascii=False, default=str)[:-1] + ', "features": ' + features + "}"


def collection(features: Iterable[dict], **members) -> dict:
    return {"type": "FeatureCollection", **members, "features": list(features)}
