"""Small builders for the events tests: articles, hand-made extractions, editors.

Extractions are built by hand (``ExtractedEvent`` / ``ExtractedSite``) so that these tests
describe the storing rules, not the extractor's current behaviour.
"""
from __future__ import annotations

import itertools
from datetime import date, datetime, timezone

import pytest

from django.contrib.auth.models import Group, User
from django.contrib.gis.geos import Point

from events.models import Event, Place, Site
from ingest.extraction.types import Evidence, ExtractedEvent, ExtractedSite, Extraction
from ingest.models import Article

_seq = itertools.count(1)

# Harir base, north of Erbil, and a point about 2 km from it.
HARIR = (36.5363, 44.3622)  # lat, lon
NEAR_HARIR = (36.5500, 44.3750)
ERBIL = (36.1912, 44.0092)  # ~50 km away

ARTICLE_TEXT = (
    "Drones attacked Harir base near Erbil airport on Friday, killing two soldiers. "
    "The Islamic Resistance in Iraq claimed the attack."
)


def make_article(*, text: str = ARTICLE_TEXT, title: str = "Drone attack on Harir base",
                 published: date = date(2024, 1, 19), language: str = "en", **extra) -> Article:
    n = next(_seq)
    values = dict(
        title=title,
        text=text,
        language=language,
        published=datetime(published.year, published.month, published.day, 9, 0, tzinfo=timezone.utc),
        url=f"https://news.example/{n}",
        canonical_url=f"https://news.example/{n}",
        content_hash=f"hash-{n}-{id(text)}",
        status=Article.Status.FETCHED,
    )
    values.update(extra)
    return Article.objects.create(**values)


def span(text: str, needle: str, field: str) -> Evidence:
    start = text.index(needle)
    return Evidence(field=field, start=start, end=start + len(needle), text=needle)


def strike(*, day: date = date(2024, 1, 19), at: tuple[float, float] | None = HARIR, sub: str = "Air/drone strike",
           precision: int = 1, site_slug: str = "", text: str = ARTICLE_TEXT, evidence: bool = True,
           **fields) -> ExtractedEvent:
    """An extracted event (by default: a drone strike on Harir base on 19 January 2024)."""
    from events import acled

    lat, lon = at if at else (None, None)
    ev = ExtractedEvent(
        event_date=day,
        time_precision=precision,
        event_type=acled.SUB_EVENT_TO_EVENT.get(sub, "?"),
        sub_event_type=sub,
        latitude=lat,
        longitude=lon,
        location=fields.pop("location", "Harir"),
        country=fields.pop("country", "IQ"),
        site_slug=site_slug,
        actor1=fields.pop("actor1", "Islamic Resistance in Iraq"),
        inter1=fields.pop("inter1", 3),
        actor2=fields.pop("actor2", "Military Forces of the United States"),
        inter2=fields.pop("inter2", 8),
        fatalities=fields.pop("fatalities", 2),
        weapon=fields.pop("weapon", "drone"),
        confidence=fields.pop("confidence", 0.6),
        quote=text[:78],
        quote_start=0,
        quote_end=78,
        **fields,
    )
    if evidence and "Harir base" in text:
        ev.evidence = [
            span(text, "Drones attacked", "sub_event_type"),
            span(text, "Harir base", "location"),
            span(text, "on Friday", "event_date"),
        ]
        if "killing two" in text:
            ev.evidence.append(span(text, "killing two", "fatalities"))
    return ev


def extraction(*events: ExtractedEvent, sites: list[ExtractedSite] | None = None, version: str = "test-1") -> Extraction:
    return Extraction(events=list(events), sites=sites or [], version=version, language="en")


def make_site(slug: str = "harir", name_en: str = "Harir Air Base", name_ar: str = "قاعدة حرير",
              at: tuple[float, float] = HARIR, **extra) -> Site:
    return Site.objects.create(slug=slug, name_en=name_en, name_ar=name_ar, kind=Site.Kind.AIRBASE,
                               country="IQ", point=Point(at[1], at[0], srid=4326), **extra)


def make_place(name: str = "Harir", name_ar: str = "حرير", at: tuple[float, float] = HARIR, **extra) -> Place:
    from ingest.extraction.normalise import key

    names = extra.pop("names", [name, name_ar])
    return Place.objects.create(source="geonames", source_id=str(next(_seq)), name=name, name_ar=name_ar,
                                names=names, keys=sorted({key(n) for n in names}), country="IQ",
                                point=Point(at[1], at[0], srid=4326), **extra)


def editors_group() -> Group:
    """The Editors group of the data migration (rebuilt from the migration's list after a
    transactional test flushed the tables: flushing keeps permissions but not groups)."""
    group = Group.objects.filter(name="Editors").first()
    if group is None:
        import importlib

        from django.contrib.auth.models import Permission

        wanted = importlib.import_module("events.migrations.0003_editors_group").PERMISSIONS
        group = Group.objects.create(name="Editors")
        for app_label, codenames in wanted.items():
            group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
    return group


def make_editor(username: str = "editor", password: str | None = None) -> User:
    """A staff user in the Editors group (no password unless given: hashing one is slow)."""
    user = User.objects.create_user(username=username, password=password, is_staff=True)
    user.groups.add(editors_group())
    return user


def only_event() -> Event:
    events = list(Event.objects.all())
    assert len(events) == 1, events
    return events[0]


@pytest.fixture
def plain_http(settings):
    """The test client speaks plain HTTP; production's HTTPS redirect is not what these tests test."""
    settings.SECURE_SSL_REDIRECT = False
