"""What the admin's event form posts, built from an event (for the test client)."""
from __future__ import annotations

from events.models import Event


def form_data(event: Event, **overrides) -> dict:
    event.refresh_from_db()
    data = {
        "review_status": event.review_status,
        "locked_fields": list(event.locked_fields),
        "notes": event.notes,
        "event_date": event.event_date.isoformat(),
        "time_precision": event.time_precision,
        "sub_event_type": event.sub_event_type,
        "actor1": event.actor1, "inter1": event.inter1 or "", "assoc_actor_1": event.assoc_actor_1,
        "actor2": event.actor2, "inter2": event.inter2 or "", "assoc_actor_2": event.assoc_actor_2,
        "civilian_targeting": event.civilian_targeting,
        "point": event.point.geojson if event.point else "",
        "location": event.location, "geo_precision": event.geo_precision,
        "site": event.site_id or "",
        "country": event.country, "admin1": event.admin1, "admin2": event.admin2,
        "fatalities": "" if event.fatalities is None else event.fatalities,
        "injured": "" if event.injured is None else event.injured,
        "weapon": event.weapon, "target": event.target,
        "version": event.version,
        "_save": "Save",
    }
    data.update(overrides)
    return data
