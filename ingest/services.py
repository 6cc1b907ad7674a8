"""Writes for ingestion: articles created once, fetched once, extracted, failures recorded.

Every function takes keyword-only arguments and does its writes in ``transaction.atomic``.
Deduplication rests on the database, not on luck: ``Article.canonical_url`` and
``Article.content_hash`` are unique, creation is a get-or-create that catches the
IntegrityError of a concurrent twin, and the rows being changed are locked
(``select_for_update``) and re-checked, so two workers doing the same thing at the same
moment store it once. An article whose text turns out to be another article's text is
kept (its URL is remembered, so it is not fetched again) with status ``duplicate`` and
``duplicate_of`` pointing at the one that holds the text.

Tasks are queued with ``transaction.on_commit(..., robust=True)``: after the row is
committed, and a broker that is down does not undo the write; ``requeue_stale_articles``
(run by ``poll_due_sources`` every minute) sends again whatever has waited too long.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from . import selectors
from .canonical import InvalidURL, canonical_url
from .feeds import FeedError, parse_feed
from .fetch import FetchError, fetch
from .models import Article, Source
from .text import (
    Page, clean_line, clean_text, content_hash, decode, detect_language, normalise_language, page_from_html,
)

log = logging.getLogger(__name__)

ARABIC_SCRIPT = {"ar", "fa", "ur", "ps", "ku"}
MIN_FEED_TEXT = 200  # characters of feed content worth keeping when the page itself cannot be read


def _setting(name: str, default):
    return getattr(settings, name, default)


@dataclass
class Outcome:
    """What became of one input: ``new``, ``duplicate`` or ``failed`` (with the reason)."""

    NEW = "new"
    DUPLICATE = "duplicate"
    FAILED = "failed"

    status: str
    article_id: int | None = None
    reason: str = ""
    where: str = ""


# --- Queueing -----------------------------------------------------------------------
def _queue(task_name: str, *args, **kwargs) -> None:
    def send() -> None:
        from . import tasks

        getattr(tasks, task_name).delay(*args, **kwargs)

    transaction.on_commit(send, robust=True)


def queue_fetch(*, article_id: int) -> None:
    _queue("fetch_article", article_id)


def queue_extraction(*, article_id: int, force: bool = False) -> None:
    if force:
        _queue("extract_article", article_id, force=True)
    else:
        _queue("extract_article", article_id)


# --- Helpers --------------------------------------------------------------------------
def choose_language(declared: list[str], text: str) -> str:
    """The first declared language, unless the text is plainly in another script."""
    detected = detect_language(text)
    for value in declared:
        value = normalise_language(value)
        if value:
            if detected and (value in ARABIC_SCRIPT) != (detected in ARABIC_SCRIPT):
                return detected  # a template saying lang="en" around an Arabic article
            return value
    return detected


def _metadata_dates(published: datetime | None, published_date: date | None) -> dict:
    if published_date:
        return {"published_date": published_date.isoformat()}
    if published:
        return {"published_date": published.date().isoformat()}
    return {}


def _validated_url(url: str) -> tuple[str, str]:
    """(url, canonical) or raise InvalidURL."""
    url = (url or "").strip()
    if len(url) > 2000:
        raise InvalidURL("URL longer than 2000 characters")
    return url, canonical_url(url)


def _store_text(article: Article, *, text: str, title: str, published: datetime | None,
                published_date: date | None, declared_languages: list[str], decode_errors: bool,
                metadata: dict | None = None, raw_html: str = "") -> Outcome:
    """Put text on a locked article (inside an atomic block); a twin text makes it a duplicate."""
    digest = content_hash(text)
    twin = Article.objects.filter(content_hash=digest).exclude(pk=article.pk).only("pk").first()
    if twin is not None:
        return _mark_duplicate(article, twin.pk, metadata)
    article.text = text
    article.content_hash = digest
    article.title = clean_line(title, 5000) or article.title
    if published is not None or article.published is None:
        article.published = published or article.published
    if published_date or published:
        article.metadata.update(_metadata_dates(published, published_date))
    article.language = choose_language([*declared_languages, article.language], text)[:8]
    article.decode_errors = article.decode_errors or decode_errors
    article.status = Article.Status.FETCHED
    article.fetched_at = timezone.now()
    article.error = ""
    article.metadata.update(metadata or {})
    if raw_html and _setting("KEEP_RAW_HTML", False):
        article.raw_html = raw_html
    try:
        with transaction.atomic():
            article.save()
    except IntegrityError:
        # Another worker stored the same text between our check and our write.
        twin = Article.objects.filter(content_hash=digest).exclude(pk=article.pk).only("pk").first()
        if twin is None:
            raise
        article.refresh_from_db()
        return _mark_duplicate(article, twin.pk, metadata)
    queue_extraction(article_id=article.pk)
    return Outcome(Outcome.NEW, article.pk)


def _mark_duplicate(article: Article, twin_id: int, metadata: dict | None) -> Outcome:
    Article.objects.filter(pk=article.pk).update(
        status=Article.Status.DUPLICATE, duplicate_of_id=twin_id, text="", content_hash=None, error="",
        fetched_at=timezone.now(), updated_at=timezone.now(),
        metadata={**article.metadata, **(metadata or {})},
    )
    return Outcome(Outcome.DUPLICATE, article.pk, reason=f"same text as article {twin_id}")


# --- Creating articles ----------------------------------------------------------------
def submit_url(*, url: str, origin: str = Article.Origin.URL, source: Source | None = None, title: str = "",
               published: datetime | None = None, published_date: date | None = None, language: str = "",
               outlet: str = "", external_id: str = "", metadata: dict | None = None, where: str = "") -> Outcome:
    """An article to fetch from ``url``; a URL already known (by its canonical form) is a duplicate."""
    try:
        url, canonical = _validated_url(url)
    except InvalidURL as exc:
        return Outcome(Outcome.FAILED, reason=str(exc), where=where or url[:200])
    existing = Article.objects.filter(canonical_url=canonical).values_list("pk", flat=True).first()
    if existing is not None:
        return Outcome(Outcome.DUPLICATE, existing, reason=f"same URL as article {existing}", where=where or url)
    meta = {**(metadata or {}), **_metadata_dates(published, published_date)}
    try:
        with transaction.atomic():
            article = Article.objects.create(
                url=url, canonical_url=canonical, origin=origin, source=source,
                outlet=clean_line(outlet or (source.name if source else ""), 200), title=clean_line(title, 5000),
                published=published, language=normalise_language(language)[:8],
                external_id=clean_line(external_id, 200), metadata=meta, status=Article.Status.QUEUED,
            )
            queue_fetch(article_id=article.pk)
    except IntegrityError:
        existing = Article.objects.filter(canonical_url=canonical).values_list("pk", flat=True).first()
        if existing is None:
            raise
        return Outcome(Outcome.DUPLICATE, existing, reason=f"same URL as article {existing}", where=where or url)
    return Outcome(Outcome.NEW, article.pk, where=where or url)


def submit_text(*, text: str, title: str = "", origin: str = Article.Origin.PASTE, source: Source | None = None,
                url: str = "", outlet: str = "", published: datetime | None = None,
                published_date: date | None = None, language: str = "", external_id: str = "",
                metadata: dict | None = None, decode_errors: bool = False, where: str = "") -> Outcome:
    """An article whose text is already known (a file, pasted text, a feed with full content)."""
    cleaned, bad = clean_text(text)
    if not cleaned:
        return Outcome(Outcome.FAILED, reason="no text", where=where)
    canonical = None
    meta = dict(metadata or {})
    if url:
        try:
            url, canonical = _validated_url(url)
        except InvalidURL as exc:
            meta["invalid_url"] = url[:500]
            meta["invalid_url_reason"] = str(exc)[:200]
            url = ""
    digest = content_hash(cleaned)
    if canonical:
        known = Article.objects.filter(canonical_url=canonical).first()
        if known is not None:
            if known.text or known.status == Article.Status.DUPLICATE:
                return Outcome(Outcome.DUPLICATE, known.pk, reason=f"same URL as article {known.pk}", where=where)
            # Known by its URL but without text (queued, or its fetch failed): this text completes it.
            with transaction.atomic():
                locked = Article.objects.select_for_update().get(pk=known.pk)
                if locked.text:
                    return Outcome(Outcome.DUPLICATE, locked.pk, reason=f"same URL as article {locked.pk}",
                                   where=where)
                outcome = _store_text(
                    locked, text=cleaned, title=title, published=published, published_date=published_date,
                    declared_languages=[language], decode_errors=decode_errors or bad,
                    metadata={**meta, "text_from": origin},
                )
            outcome.where = where
            return outcome
    twin = Article.objects.filter(content_hash=digest).values_list("pk", flat=True).first()
    if twin is not None:
        return Outcome(Outcome.DUPLICATE, twin, reason=f"same text as article {twin}", where=where)
    meta.update(_metadata_dates(published, published_date))
    try:
        with transaction.atomic():
            article = Article.objects.create(
                url=url, canonical_url=canonical, origin=origin, source=source,
                outlet=clean_line(outlet or (source.name if source else ""), 200),
                title=clean_line(title, 5000), published=published,
                language=choose_language([language, source.language if source else ""], cleaned)[:8],
                text=cleaned, content_hash=digest, decode_errors=decode_errors or bad,
                external_id=clean_line(external_id, 200), metadata=meta,
                status=Article.Status.FETCHED, fetched_at=timezone.now(),
            )
            queue_extraction(article_id=article.pk)
    except IntegrityError:
        twin = (Article.objects.filter(content_hash=digest).values_list("pk", flat=True).first()
                or (Article.objects.filter(canonical_url=canonical).values_list("pk", flat=True).first()
                    if canonical else None))
        if twin is None:
            raise
        return Outcome(Outcome.DUPLICATE, twin, reason=f"same article as {twin}", where=where)
    return Outcome(Outcome.NEW, article.pk, where=where)


# --- Fetching ---------------------------------------------------------------------------
def fetch_article(*, article_id: int) -> str:
    """Fetch a queued article's page and store its text. Transient errors are raised for the
    task to retry; permanent ones are recorded on the article. Idempotent: an article that is
    not queued any more is left alone."""
    article = Article.objects.filter(pk=article_id).first()
    if article is None:
        return "missing"
    if article.status != Article.Status.QUEUED:
        return f"skipped: already {article.status}"
    Article.objects.filter(pk=article_id).update(attempts=F("attempts") + 1, updated_at=timezone.now())
    try:
        result = fetch(article.url, kind="page")
    except FetchError as exc:
        if exc.transient:
            raise
        if _use_feed_text(article, reason=str(exc)):
            return "fetched (feed text)"
        record_failure(article_id=article_id, stage="fetch", error=str(exc), final=True)
        return f"failed: {exc}"
    decoded = decode(result.body, result.charset)
    if result.content_type == "text/plain":
        body, _ = clean_text(decoded.text)
        page = Page(text=body)
    else:
        page = page_from_html(decoded.text, url=result.final_url)
    return record_fetched(article_id=article_id, page=page, final_url=result.final_url,
                          raw_html=decoded.text if result.content_type != "text/plain" else "",
                          decode_errors=decoded.errors or page.decode_errors)


def _use_feed_text(article: Article, *, reason: str) -> bool:
    """A page that cannot be read falls back to the full text its feed carried, if long enough."""
    feed_text = (article.metadata or {}).get("feed_text", "")
    if len(feed_text) < MIN_FEED_TEXT:
        return False
    record_fetched(article_id=article.pk, page=Page(text=feed_text), final_url="",
                   decode_errors=False, extra_metadata={"text_from": "feed", "page_error": reason[:500]})
    return True


def record_fetched(*, article_id: int, page: Page, final_url: str, decode_errors: bool, raw_html: str = "",
                   extra_metadata: dict | None = None) -> str:
    """Store what was fetched on a queued article (locked and re-checked: done once)."""
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(pk=article_id).first()
        if article is None:
            return "missing"
        if article.status != Article.Status.QUEUED:
            return f"skipped: already {article.status}"
        metadata = dict(extra_metadata or {})
        if final_url and final_url != article.url:
            metadata["final_url"] = final_url[:2000]
            try:
                final_canonical = canonical_url(final_url)
            except InvalidURL:
                final_canonical = None
            if final_canonical and final_canonical != article.canonical_url:
                twin = Article.objects.filter(canonical_url=final_canonical).exclude(pk=article.pk).first()
                if twin is not None and twin.text:
                    return _mark_duplicate(article, twin.pk, metadata).status
        if page.canonical_link:
            metadata["canonical_link"] = page.canonical_link[:2000]
        text = page.text
        if not text:
            feed_text = article.metadata.get("feed_text", "")
            if len(feed_text) >= MIN_FEED_TEXT:
                text, metadata["text_from"] = feed_text, "feed"
        if not text:
            article.status = Article.Status.FAILED
            article.error = "fetch: no article text found on the page"
            article.metadata.update(metadata)
            article.save(update_fields=["status", "error", "metadata", "updated_at"])
            return "failed: no text"
        feed_language = article.language  # set from the feed or the source when queued
        # The page's own metadata first, the feed's fields (stored when queued) as the fallback.
        if page.published is not None:
            published, published_date = page.published, page.published_date
        else:
            published = article.published
            written = article.metadata.get("published_date")
            published_date = date.fromisoformat(written) if written else None
        outcome = _store_text(
            article, text=text, title=page.title or article.title,
            published=published, published_date=published_date,
            declared_languages=[page.language, feed_language, article.source.language if article.source else ""],
            decode_errors=decode_errors, metadata=metadata, raw_html=raw_html,
        )
        if page.site_name and not article.outlet and outcome.status == Outcome.NEW:
            Article.objects.filter(pk=article_id).update(outlet=page.site_name[:200])
        return outcome.status if outcome.status != Outcome.NEW else "fetched"


def record_failure(*, article_id: int, stage: str, error: str, final: bool) -> None:
    """Write the error on the article; on the last try (``final``) its status becomes failed.

    A fetch failure does not touch an article that another worker has fetched meanwhile.
    """
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(pk=article_id).first()
        if article is None:
            return
        if stage == "fetch" and article.status != Article.Status.QUEUED:
            return
        if stage == "extract" and article.status in (Article.Status.QUEUED, Article.Status.DUPLICATE):
            return
        article.error = f"{stage}: {error}"[:4000]
        fields = ["error", "updated_at"]
        if final:
            article.status = Article.Status.FAILED
            fields.append("status")
        article.save(update_fields=fields)


def requeue(*, article_id: int) -> str:
    """Send a failed or stuck article through again: fetch it if it has no text, else extract it."""
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(pk=article_id).first()
        if article is None or article.status == Article.Status.DUPLICATE:
            return "skipped"
        if not article.text:
            if not article.url:
                return "skipped: no text and no URL"
            article.status, article.error = Article.Status.QUEUED, ""
            article.save(update_fields=["status", "error", "updated_at"])
            queue_fetch(article_id=article.pk)
            return "fetch queued"
        queue_extraction(article_id=article.pk, force=True)
        return "extraction queued"


# --- Extraction -------------------------------------------------------------------------
def _extraction_modules():
    """The extractor, the gazetteer and the store, imported when first needed (they are heavy)."""
    from events.services import store_extraction
    from ingest.extraction import EXTRACTOR_VERSION, extract
    from ingest.geocoding import get_gazetteer

    return extract, EXTRACTOR_VERSION, get_gazetteer, store_extraction


def article_input(article: Article):
    from ingest.extraction.types import ArticleInput

    written = (article.metadata or {}).get("published_date")
    try:
        published = date.fromisoformat(written) if written else (article.published.date() if article.published else None)
    except ValueError:
        published = article.published.date() if article.published else None
    # News articles are a few thousand characters; a book-length "article" would hold a
    # worker for seconds. Its head is extracted (offsets stay valid) and the cut is recorded.
    text = article.text[: settings.EXTRACT_MAX_CHARS]
    return ArticleInput(text=text, title=article.title, published=published,
                        language=article.language or None, url=article.url or None, id=str(article.pk))


def extract_article(*, article_id: int, force: bool = False) -> str:
    """Run the extractor on an article and store its events; idempotent.

    Unless ``force``, an article already extracted by the current extractor version is left
    alone. The events and the article's new status are written in one transaction, with the
    article locked, so a worker killed half-way leaves no half-stored extraction.
    """
    article = Article.objects.filter(pk=article_id).first()
    if article is None:
        return "missing"
    if article.status in (Article.Status.QUEUED, Article.Status.DUPLICATE) or not article.text:
        return f"skipped: {article.status}"
    # An ImportError here is a broken installation: the task records it on the article.
    extract, version, get_gazetteer, store_extraction = _extraction_modules()
    if not force and article.status == Article.Status.EXTRACTED and article.extractor_version == version:
        return "up to date"
    gazetteer = get_gazetteer()
    extraction = extract(article_input(article), gazetteer=gazetteer)
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article_id)
        if not force and locked.status == Article.Status.EXTRACTED and locked.extractor_version == version:
            return "up to date"
        store_extraction(article=locked, extraction=extraction)
        locked.status = Article.Status.EXTRACTED
        locked.extractor_version = (extraction.version or version)[:32]
        locked.extracted_at = timezone.now()
        locked.error = ""
        if len(article.text) > settings.EXTRACT_MAX_CHARS:
            locked.error = (f"Only the first {settings.EXTRACT_MAX_CHARS:,} of {len(article.text):,} characters "
                            "were extracted (EXTRACT_MAX_CHARS).")
        if not locked.language and extraction.language:
            locked.language = extraction.language[:8]
        locked.save(update_fields=["status", "extractor_version", "extracted_at", "error", "language", "updated_at"])
    return f"extracted: {len(extraction.events)} events"


# --- Feeds ------------------------------------------------------------------------------
@dataclass
class PollResult:
    source_id: int
    name: str = ""
    not_modified: bool = False
    entries: int = 0
    outcomes: list[Outcome] = field(default_factory=list)
    error: str = ""

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def as_dict(self) -> dict:
        return {"source": self.name, "not_modified": self.not_modified, "entries": self.entries,
                "new": self.count(Outcome.NEW), "duplicates": self.count(Outcome.DUPLICATE),
                "failed": self.count(Outcome.FAILED), "error": self.error}


def add_source(*, url: str, name: str, language: str = "", interval: int = 30, active: bool = True) -> Source:
    """Create (or update, by name) a feed source."""
    url, _ = _validated_url(url)
    with transaction.atomic():
        source, _ = Source.objects.update_or_create(
            name=clean_line(name, 200),
            defaults={"url": url, "language": normalise_language(language)[:8], "poll_interval": max(1, interval),
                      "active": active},
        )
    return source


def record_source_error(*, source_id: int, error: str) -> None:
    with transaction.atomic():
        Source.objects.filter(pk=source_id).update(last_error=error[:4000], last_polled=timezone.now(),
                                                    updated_at=timezone.now())


def poll_source(*, source_id: int, conditional: bool = True) -> PollResult:
    """Fetch a feed (conditional GET) and queue its new entries. Transient fetch errors are
    raised for the task to retry; everything else is recorded on the source."""
    source = Source.objects.get(pk=source_id)
    result = PollResult(source_id=source.pk, name=source.name)
    if not source.url:
        result.error = "the source has no feed URL"
        return result
    headers = {}
    if conditional and source.etag:
        headers["If-None-Match"] = source.etag
    if conditional and source.last_modified:
        headers["If-Modified-Since"] = source.last_modified
    try:
        response = fetch(source.url, kind="feed", headers=headers)
    except FetchError as exc:
        record_source_error(source_id=source.pk, error=str(exc))
        if exc.transient:
            raise
        result.error = str(exc)
        return result
    if response.not_modified:
        with transaction.atomic():
            Source.objects.filter(pk=source.pk).update(last_polled=timezone.now(), last_error="",
                                                        updated_at=timezone.now())
        result.not_modified = True
        return result
    try:
        feed = parse_feed(response.body, url=response.final_url, content_type=response.headers.get("content-type", ""),
                          max_bytes=settings.FETCH_MAX_BYTES)
    except FeedError as exc:
        record_source_error(source_id=source.pk, error=str(exc))
        result.error = str(exc)
        return result
    result.entries = len(feed.entries)
    for index, entry in enumerate(feed.entries):
        where = entry.url or f"{source.name} entry {index + 1}"
        feed_text = entry.content or entry.summary
        metadata = {"feed_entry_id": entry.guid} if entry.guid else {}
        if len(feed_text) >= MIN_FEED_TEXT:
            metadata["feed_text"] = feed_text[:50000]
        if entry.url:
            outcome = submit_url(url=entry.url, origin=Article.Origin.FEED, source=source, title=entry.title,
                                 published=entry.published, published_date=entry.published_date,
                                 language=entry.language or source.language, outlet=source.name,
                                 external_id=entry.guid, metadata=metadata, where=where)
        elif feed_text:
            metadata.pop("feed_text", None)
            outcome = submit_text(text=feed_text, title=entry.title, origin=Article.Origin.FEED, source=source,
                                  outlet=source.name, published=entry.published, published_date=entry.published_date,
                                  language=entry.language or source.language, external_id=entry.guid,
                                  metadata=metadata, where=where)
        else:
            outcome = Outcome(Outcome.FAILED, reason="feed entry without a link or text", where=where)
        result.outcomes.append(outcome)
    # The validators are stored last: a poll killed half-way is done again in full next time.
    with transaction.atomic():
        Source.objects.filter(pk=source.pk).update(
            etag=response.etag[:500], last_modified=response.last_modified[:100], last_polled=timezone.now(),
            last_error=(f"warning: {feed.warning}" if feed.warning else "")[:4000], updated_at=timezone.now(),
        )
    return result


def claim_due_sources(*, now: datetime | None = None) -> list[int]:
    """The due sources, each claimed by moving its ``last_polled`` (so two beats do not both poll it)."""
    now = now or timezone.now()
    claimed = []
    for source in selectors.due_sources(now=now):
        with transaction.atomic():
            if Source.objects.filter(pk=source.pk, last_polled=source.last_polled).update(last_polled=now):
                claimed.append(source.pk)
    return claimed


def requeue_stale_articles(*, older_than: timedelta | None = None, limit: int = 500) -> dict[str, int]:
    """Queue again the articles left waiting (a lost message, a broker restart): idempotent tasks make a
    second delivery harmless, so this errs on the side of sending."""
    older_than = older_than or timedelta(minutes=_setting("INGEST_STALE_MINUTES", 30))
    counts = {"fetch": 0, "extract": 0}
    for status, task, key in ((Article.Status.QUEUED, queue_fetch, "fetch"),
                              (Article.Status.FETCHED, queue_extraction, "extract")):
        for pk in selectors.stale_article_ids(status=status, older_than=older_than, limit=limit):
            with transaction.atomic():
                if Article.objects.filter(pk=pk, status=status).update(updated_at=timezone.now()):
                    task(article_id=pk)
                    counts[key] += 1
    return counts
