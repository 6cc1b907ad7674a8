"""Where articles come from (Source) and the articles themselves (Article)."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.Model):
    """A feed or an outlet. Feeds with ``active`` set are polled every ``poll_interval`` minutes."""

    name = models.CharField(max_length=200, unique=True)
    url = models.URLField(max_length=2000, blank=True, help_text=_("RSS or Atom feed URL; empty for an outlet with no feed."))
    language = models.CharField(max_length=8, blank=True, help_text=_("ISO 639-1 code (ar, en), empty to detect."))
    active = models.BooleanField(default=True)
    poll_interval = models.PositiveIntegerField(default=30, help_text=_("Minutes between two polls of the feed."))
    last_polled = models.DateTimeField(null=True, blank=True)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    """One news article. Nothing that fails is dropped: it stays here with its status and error."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        FETCHED = "fetched", _("fetched")
        EXTRACTED = "extracted", _("extracted")
        FAILED = "failed", _("failed")
        DUPLICATE = "duplicate", _("duplicate")  # same text as ``duplicate_of``; its text is not stored twice

    class Origin(models.TextChoices):
        FEED = "feed", _("feed")
        URL = "url", _("URL")
        FILE = "file", _("file")
        PASTE = "paste", _("pasted text")
        SAMPLE = "sample", _("sample")

    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles")
    outlet = models.CharField(max_length=200, blank=True)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.URL)
    external_id = models.CharField(max_length=200, blank=True, help_text=_("The id the article had in its file or feed."))
    url = models.URLField(max_length=2000, blank=True, help_text=_("The URL as submitted."))
    canonical_url = models.CharField(max_length=2000, null=True, blank=True, unique=True)
    title = models.TextField(blank=True)
    language = models.CharField(max_length=8, blank=True)
    published = models.DateTimeField(null=True, blank=True)
    text = models.TextField(blank=True)
    raw_html = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    decode_errors = models.BooleanField(default=False, help_text=_("Invalid bytes were replaced when decoding."))
    extractor_version = models.CharField(max_length=32, blank=True)
    extracted_at = models.DateTimeField(null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates",
        help_text=_("The article with the same text, when this one turned out to be a copy."),
    )
    metadata = models.JSONField(
        default=dict, blank=True,
        help_text=_("What else the source said: the date as written, the final URL, feed entry id, demo flag..."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published", "-id"]
        indexes = [
            models.Index(fields=["published"]),
            models.Index(fields=["created_at"]),
            models.Index(fields=["status", "updated_at"], name="article_status_updated"),
        ]
        # Editors may send articles back to the extractor without being able to edit them.
        permissions = [("rerun_extraction", "Can re-run extraction")]

    def __str__(self) -> str:
        return self.title or self.canonical_url or self.url or f"article {self.pk}"


class GeocodeCache(models.Model):
    """Answers of the optional online geocoder, so a name is asked once."""

    provider = models.CharField(max_length=50)
    query = models.CharField(max_length=500)
    found = models.BooleanField(default=False)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    address = models.TextField(blank=True)
    raw = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "query"], name="geocodecache_unique_query")]

    def __str__(self) -> str:
        return f"{self.provider}: {self.query}"
