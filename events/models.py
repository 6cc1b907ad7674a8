"""Events (ACLED's fields and names), the articles that report them, sites and the gazetteer.

Geometry is stored in SRID 4326 with a spatial index on every column (GeoDjango's default).
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.geos import Polygon
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import acled

# Built with its SRID in the constructor so that the migration serialises it (a srid set
# afterwards is lost by deconstruct() and makemigrations would see a change every time).
WORLD = Polygon(((-180, -90), (-180, 90), (180, 90), (180, -90), (-180, -90)), srid=4326)

PRECISION_VALIDATORS = [MinValueValidator(1), MaxValueValidator(3)]


class Place(models.Model):
    """A gazetteer entry: a city, town, village, governorate... from GeoNames or a curated list."""

    source = models.CharField(max_length=20, help_text=_("geonames, airports, sites or user."))
    source_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    name_ar = models.CharField(max_length=200, blank=True)
    names = models.JSONField(default=list, blank=True, help_text=_("Every known name, in every script."))
    keys = models.JSONField(default=list, blank=True, help_text=_("The names normalised for matching."))
    kind = models.CharField(max_length=32, blank=True)
    feature_code = models.CharField(max_length=10, blank=True)
    country = models.CharField(max_length=2, blank=True)
    admin1 = models.CharField(max_length=100, blank=True)
    population = models.BigIntegerField(default=0)
    point = models.PointField(srid=4326)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "source_id"], name="place_unique_source_id")]
        indexes = [models.Index(fields=["country", "name"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"


class Site(models.Model):
    """A military base, airfield, oil or gas field, border crossing, port..."""

    class Kind(models.TextChoices):
        BASE = "base", _("military base")
        AIRBASE = "airbase", _("air base")
        AIRPORT = "airport", _("airport")
        OIL_FIELD = "oil_field", _("oil field")
        GAS_FIELD = "gas_field", _("gas field")
        BORDER_CROSSING = "border_crossing", _("border crossing")
        DAM = "dam", _("dam")
        PORT = "port", _("port")
        LANDMARK = "landmark", _("landmark")
        OTHER = "other", _("other")

    slug = models.SlugField(max_length=100, unique=True)
    name_en = models.CharField(max_length=200)
    name_ar = models.CharField(max_length=200, blank=True)
    aliases = models.JSONField(default=list, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    operator = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=2, blank=True)
    admin1 = models.CharField(max_length=100, blank=True)
    point = models.PointField(srid=4326, null=True, blank=True)
    precision_km = models.FloatField(null=True, blank=True)
    source = models.TextField(blank=True, help_text=_("Where the coordinates were checked."))
    first_seen = models.DateField(null=True, blank=True)
    last_seen = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name_en"]

    def __str__(self) -> str:
        return self.name_en


class Event(models.Model):
    """One event as an ACLED coder would write it down, plus what ACLED lacks.

    ``evidence`` maps each extracted field to the spans that support it:
    ``{"event_date": [{"article": 12, "start": 40, "end": 52, "text": "اليوم الجمعة"}], ...}``.
    ``locked_fields`` lists the fields an editor changed: no machine writes them again.
    """

    class ReviewStatus(models.TextChoices):
        UNREVIEWED = "unreviewed", _("unreviewed")
        VERIFIED = "verified", _("verified")
        REJECTED = "rejected", _("rejected")
        MERGED = "merged", _("merged")

    event_date = models.DateField(db_index=True)
    time_precision = models.PositiveSmallIntegerField(
        choices=sorted(acled.TIME_PRECISION.items()), default=1, validators=PRECISION_VALIDATORS
    )
    disorder_type = models.CharField(max_length=40, choices=[(d, d) for d in acled.DISORDER_TYPES])
    event_type = models.CharField(max_length=40, choices=[(e, e) for e in acled.EVENT_TYPES])
    sub_event_type = models.CharField(max_length=40, choices=[(s, s) for s in acled.SUB_EVENT_TYPES])
    actor1 = models.CharField(max_length=200, blank=True)
    assoc_actor_1 = models.CharField(max_length=300, blank=True)
    inter1 = models.PositiveSmallIntegerField(null=True, blank=True, choices=sorted(acled.INTER_CODES.items()))
    actor2 = models.CharField(max_length=200, blank=True)
    assoc_actor_2 = models.CharField(max_length=300, blank=True)
    inter2 = models.PositiveSmallIntegerField(null=True, blank=True, choices=sorted(acled.INTER_CODES.items()))
    civilian_targeting = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text=_("ISO 3166-1 alpha-2."))
    admin1 = models.CharField(max_length=100, blank=True)
    admin2 = models.CharField(max_length=100, blank=True)
    location = models.CharField(max_length=200, blank=True, help_text=_("The place's name."))
    point = models.PointField(srid=4326, null=True, blank=True)
    geo_precision = models.PositiveSmallIntegerField(
        choices=sorted(acled.GEO_PRECISION.items()), default=1, validators=PRECISION_VALIDATORS
    )
    fatalities = models.PositiveIntegerField(null=True, blank=True)
    injured = models.PositiveIntegerField(null=True, blank=True)
    weapon = models.CharField(max_length=100, blank=True)
    target = models.CharField(max_length=300, blank=True)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    notes = models.TextField(blank=True)
    confidence = models.FloatField(default=0.5, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    review_status = models.CharField(
        max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.UNREVIEWED, db_index=True
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_events"
    )
    evidence = models.JSONField(default=dict, blank=True)
    locked_fields = models.JSONField(default=list, blank=True)
    extractor_version = models.CharField(max_length=32, blank=True)
    articles = models.ManyToManyField(
        "ingest.Article", through="EventSource", through_fields=("event", "article"), related_name="events"
    )
    version = models.PositiveIntegerField(default=1, help_text=_("Raised on every save, to detect concurrent edits."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    history = HistoricalRecords(excluded_fields=["version"])

    class Meta:
        ordering = ["-event_date", "-id"]
        indexes = [
            models.Index(fields=["sub_event_type", "event_date"]),
            models.Index(fields=["country", "event_date"]),
            models.Index(fields=["review_status", "confidence"], name="event_review_queue_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(time_precision__gte=1, time_precision__lte=3), name="event_time_precision_1_3"),
            models.CheckConstraint(condition=Q(geo_precision__gte=1, geo_precision__lte=3), name="event_geo_precision_1_3"),
            models.CheckConstraint(condition=Q(confidence__gte=0.0, confidence__lte=1.0), name="event_confidence_0_1"),
            models.CheckConstraint(
                condition=Q(point__isnull=True) | Q(point__coveredby=WORLD), name="event_point_in_world"
            ),
        ]
        permissions = [("merge_event", "Can merge events")]

    def __str__(self) -> str:
        return f"{self.event_date} {self.sub_event_type} at {self.location or '?'}"

    @property
    def latitude(self) -> float | None:
        return self.point.y if self.point else None

    @property
    def longitude(self) -> float | None:
        return self.point.x if self.point else None


class EventSource(models.Model):
    """An article that reports an event, with the quote that says so."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sources")
    article = models.ForeignKey("ingest.Article", on_delete=models.CASCADE, related_name="event_sources")
    quote = models.TextField(blank=True)
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    extracted = models.JSONField(
        default=list,
        blank=True,
        help_text=_("What the extractor read in this article for this event (ExtractedEvent.to_json() items)."),
    )
    merged_from = models.ForeignKey(
        Event,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Set when this link was brought to the event by merging that event into it."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "article"], name="eventsource_unique_pair")]

    def __str__(self) -> str:
        return f"{self.article} -> {self.event}"


class ReviewQueueEvent(Event):
    """The events waiting for an editor, as their own admin list (see ``selectors.review_queue``)."""

    class Meta:
        proxy = True
        verbose_name = _("event to review")
        verbose_name_plural = _("events to review")


class AliasSuggestion(models.Model):
    """A name an article used for a place an editor then chose: offered as a new alias."""

    name = models.CharField(max_length=200)
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.CASCADE, related_name="alias_suggestions")
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.CASCADE, related_name="alias_suggestions")
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="alias_suggestions")
    accepted = models.BooleanField(null=True, help_text=_("Empty while pending."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} -> {self.place or self.site}"
