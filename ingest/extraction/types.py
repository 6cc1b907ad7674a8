"""What goes into the extractor and what comes out of it: plain dataclasses, no Django.

These are the contract between the extractor (``ingest.extraction``), the service that
stores and fuses its results (``events.services``) and the ``extract_events`` command
whose JSON output the evaluation scorer reads. Keep them stable.

Offsets (``start``/``end``) are character offsets into ``ArticleInput.text`` (Python
string indices, end exclusive). Evidence taken from the title has ``in_title=True`` and
offsets into the title instead.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date


@dataclass(slots=True)
class ArticleInput:
    text: str
    title: str = ""
    published: date | None = None
    language: str | None = None  # "ar", "en" or None to detect
    url: str | None = None
    id: str | None = None


@dataclass(slots=True)
class Evidence:
    field: str  # the ExtractedEvent / ExtractedSite field it supports, e.g. "event_date"
    start: int
    end: int
    text: str
    in_title: bool = False


@dataclass(slots=True)
class ExtractedEvent:
    event_date: date | None
    time_precision: int  # 1 day, 2 week / few days, 3 month
    event_type: str  # ACLED event_type, e.g. "Explosions/Remote violence"
    sub_event_type: str  # ACLED sub_event_type, e.g. "Air/drone strike"
    disorder_type: str = "Political violence"
    actor1: str = ""
    inter1: int | None = None
    assoc_actor_1: str = ""
    actor2: str = ""
    inter2: int | None = None
    assoc_actor_2: str = ""
    civilian_targeting: bool = False
    location: str = ""
    country: str = ""  # ISO2
    admin1: str = ""
    latitude: float | None = None
    longitude: float | None = None
    geo_precision: int = 1
    weapon: str = ""
    target: str = ""
    fatalities: int | None = None
    injured: int | None = None
    site_slug: str = ""  # the gazetteer Site (events.Site.slug) that was hit, if any
    confidence: float = 0.5
    notes: str = ""
    quote: str = ""  # the sentence(s) that report the event
    quote_start: int = 0
    quote_end: int = 0
    evidence: list[Evidence] = field(default_factory=list)

    def to_json(self) -> dict:
        data = asdict(self)
        data["event_date"] = self.event_date.isoformat() if self.event_date else None
        return data


@dataclass(slots=True)
class ExtractedSite:
    name: str  # as the gazetteer names it (English)
    kind: str  # events.Site.Kind value: base, airbase, airport, oil_field...
    operator: str = ""
    country: str = ""
    latitude: float | None = None
    longitude: float | None = None
    slug: str = ""  # events.Site.slug when the site is in the gazetteer
    name_text: str = ""  # as written in the article
    evidence: list[Evidence] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(slots=True)
class Extraction:
    events: list[ExtractedEvent]
    sites: list[ExtractedSite]
    version: str
    language: str = ""
