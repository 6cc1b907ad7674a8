"""Admin for sources and articles: status and errors in plain sight, paste text, add a URL.

Article text and titles come from anywhere on the web: they are always shown escaped
(``format_html``), in a ``dir="auto"`` block so Arabic reads right to left. Articles are
created through the services (canonical URL, content hash, tasks queued), never by the
model form, so the "add" button leads to the paste form.
"""
from __future__ import annotations

import json
from datetime import datetime, time, timezone

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import Article, Source

STATUS_COLOURS = {
    Article.Status.QUEUED: "#6c757d",
    Article.Status.FETCHED: "#0d6efd",
    Article.Status.EXTRACTED: "#198754",
    Article.Status.FAILED: "#dc3545",
    Article.Status.DUPLICATE: "#6f42c1",
}
LANGUAGE_CHOICES = [("", _("detect")), ("ar", _("Arabic")), ("en", _("English"))]


def status_badge(status: str, label: str) -> str:
    return format_html(
        '<span style="display:inline-block;padding:1px 8px;border-radius:8px;color:#fff;background:{};'
        'font-weight:bold">{}</span>', STATUS_COLOURS.get(status, "#6c757d"), label,
    )


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "language", "active", "poll_interval", "last_polled", "last_error_short")
    list_filter = ("active", "language")
    search_fields = ("name", "url")
    readonly_fields = ("last_polled", "etag", "last_modified", "last_error", "created_at", "updated_at")
    actions = ["poll_now"]

    @admin.display(description=_("last error"))
    def last_error_short(self, obj: Source) -> str:
        if not obj.last_error:
            return ""
        return format_html('<span style="color:#dc3545">{}</span>', Truncator(obj.last_error).chars(120))

    @admin.action(description=_("Poll the selected feeds now"))
    def poll_now(self, request: HttpRequest, queryset) -> None:
        from .tasks import poll_source

        count = 0
        for source in queryset.exclude(url=""):
            poll_source.delay(source.pk)
            count += 1
        self.message_user(request, ngettext("%d feed queued for polling.", "%d feeds queued for polling.", count)
                          % count, messages.SUCCESS)


class PasteTextForm(forms.Form):
    title = forms.CharField(max_length=1000, required=False,
                            widget=forms.TextInput(attrs={"dir": "auto", "size": 80}))
    text = forms.CharField(widget=forms.Textarea(attrs={"dir": "auto", "rows": 20, "cols": 100}),
                           max_length=2_000_000)
    outlet = forms.CharField(max_length=200, required=False)
    published = forms.DateField(required=False, help_text=_("YYYY-MM-DD: relative dates in the text ('yesterday', "
                                                            "'on Friday') are resolved against it."),
                                widget=forms.DateInput(attrs={"type": "date"}))
    language = forms.ChoiceField(choices=LANGUAGE_CHOICES, required=False)
    url = forms.CharField(max_length=2000, required=False, label=_("URL (optional)"),
                          help_text=_("Where it was published, if anywhere; used to recognise duplicates."))


class AddURLForm(forms.Form):
    url = forms.CharField(max_length=2000, label="URL", widget=forms.TextInput(attrs={"size": 100}))
    outlet = forms.CharField(max_length=200, required=False)
    language = forms.ChoiceField(choices=LANGUAGE_CHOICES, required=False)


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("title_display", "status_display", "error_display", "origin", "language", "outlet", "published",
                    "created_at")
    list_display_links = ("title_display",)
    list_filter = ("status", "origin", "language", "decode_errors", ("source", admin.RelatedOnlyFieldListFilter))
    search_fields = ("title", "url", "canonical_url", "outlet", "external_id")
    list_select_related = ("source",)
    show_full_result_count = False
    list_per_page = 50
    actions = ["rerun_extraction", "retry"]
    change_list_template = "admin/ingest/article/change_list.html"
    readonly_fields = (
        "status_display", "error_box", "attempts", "decode_errors", "extractor_version", "extracted_at",
        "fetched_at", "duplicate_of", "url_link", "canonical_url", "content_hash", "origin", "source",
        "external_id", "title_block", "text_block", "metadata_block", "events_block", "created_at", "updated_at",
    )
    fieldsets = (
        (_("Status"), {"fields": ("status_display", "error_box", "attempts", "decode_errors", "extractor_version",
                                   "extracted_at", "duplicate_of")}),
        (_("Article"), {"fields": ("title_block", "outlet", "published", "language", "text_block")}),
        (_("Where it came from"), {"fields": ("origin", "source", "url_link", "canonical_url", "external_id",
                                              "fetched_at", "content_hash", "metadata_block")}),
        (_("Events"), {"fields": ("events_block",)}),
        (_("Record"), {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    # --- Columns and read-only blocks (always escaped) ---------------------------------
    @admin.display(description=_("title"), ordering="title")
    def title_display(self, obj: Article) -> str:
        return format_html('<span dir="auto">{}</span>', Truncator(obj.title or obj.url or f"article {obj.pk}").chars(90))

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, obj: Article) -> str:
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description=_("error"))
    def error_display(self, obj: Article) -> str:
        if not obj.error:
            return ""
        return format_html('<span style="color:#dc3545">{}</span>', Truncator(obj.error).chars(120))

    @admin.display(description=_("error"))
    def error_box(self, obj: Article) -> str:
        if not obj.error:
            return "-"
        return format_html(
            '<div style="border:2px solid #dc3545;background:#fbe9eb;color:#58151c;padding:6px 10px;'
            'white-space:pre-wrap;max-width:60em">{}</div>', obj.error,
        )

    @admin.display(description="URL")
    def url_link(self, obj: Article) -> str:
        if not obj.url:
            return "-"
        if not obj.url.startswith(("http://", "https://")):
            return obj.url
        return format_html('<a href="{}" rel="noopener noreferrer nofollow" target="_blank">{}</a>', obj.url, obj.url)

    @admin.display(description=_("title"))
    def title_block(self, obj: Article) -> str:
        return format_html('<div dir="auto" style="font-size:1.15em;font-weight:bold">{}</div>', obj.title or "-")

    @admin.display(description=_("text"))
    def text_block(self, obj: Article) -> str:
        if not obj.text:
            return "-"
        return format_html(
            '<div dir="auto" class="article-text" style="white-space:pre-wrap;max-width:60em;max-height:40em;'
            'overflow:auto;border:1px solid #ccc;padding:8px;line-height:1.6">{}</div>', obj.text,
        )

    @admin.display(description=_("metadata"))
    def metadata_block(self, obj: Article) -> str:
        if not obj.metadata:
            return "-"
        return format_html('<pre dir="auto" style="white-space:pre-wrap;max-width:60em">{}</pre>',
                           json.dumps(obj.metadata, ensure_ascii=False, indent=2)[:20000])

    @admin.display(description=_("events"))
    def events_block(self, obj: Article) -> str:
        events = list(obj.events.all()[:50]) if obj.pk else []
        if not events:
            return "-"
        rows = []
        for event in events:
            try:
                link = reverse("admin:events_event_change", args=[event.pk])
            except Exception:  # the events admin is not registered
                link = ""
            rows.append((link or "#", str(event)))
        return format_html("<ul>{}</ul>", format_html_join("", '<li><a href="{}" dir="auto">{}</a></li>', rows))

    # --- Creation goes through the services -------------------------------------------
    def add_view(self, request, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:ingest_article_paste"))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("paste/", wrap(self.paste_view), name="ingest_article_paste"),
            path("add-url/", wrap(self.add_url_view), name="ingest_article_add_url"),
            *super().get_urls(),
        ]

    def _form_page(self, request, form, *, title: str, intro: str, submit_label: str):
        """The paste and add-URL pages: one template, their own words."""
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, "form": form,
                   "intro": intro, "submit_label": submit_label, "has_view_permission": self.has_view_permission(request)}
        return TemplateResponse(request, "admin/ingest/article/article_form.html", context)

    def _after_submit(self, request, outcome: services.Outcome, *, what: str):
        if outcome.status == services.Outcome.FAILED:
            self.message_user(request, format_html("{}: {}", what, outcome.reason), messages.ERROR)
            return None
        if outcome.status == services.Outcome.DUPLICATE:
            self.message_user(request, format_html("Already known ({}): article {}.", outcome.reason,
                                                   outcome.article_id), messages.WARNING)
        else:
            self.message_user(request, format_html("{}: article {} created.", what, outcome.article_id),
                              messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:ingest_article_change", args=[outcome.article_id]))

    def paste_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = PasteTextForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            published = (datetime.combine(data["published"], time(0, 0), tzinfo=timezone.utc)
                         if data["published"] else None)
            outcome = services.submit_text(
                text=data["text"], title=data["title"], outlet=data["outlet"], published=published,
                published_date=data["published"], language=data["language"], url=data["url"],
                origin=Article.Origin.PASTE, metadata={"submitted_by": request.user.get_username()},
                where="pasted text",
            )
            response = self._after_submit(request, outcome, what=_("Pasted text"))
            if response:
                return response
        return self._form_page(
            request, form, title=_("Paste an article"), submit_label=_("Save and extract"),
            intro=_("The text is stored as given (cleaned and normalised), checked against the articles already known, "
                    "and sent to the extractor."))

    def add_url_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = AddURLForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            outcome = services.submit_url(
                url=data["url"], outlet=data["outlet"], language=data["language"], origin=Article.Origin.URL,
                metadata={"submitted_by": request.user.get_username()}, where=data["url"],
            )
            response = self._after_submit(request, outcome, what=_("URL queued for fetching"))
            if response:
                return response
        return self._form_page(
            request, form, title=_("Add an article by URL"), submit_label=_("Fetch"),
            intro=_("The page is fetched by a worker (private and internal addresses are refused), its text extracted "
                    "and sent to the extractor. Its status and any error show on the article."))

    # --- Actions ------------------------------------------------------------------------
    def has_rerun_extraction_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("ingest.rerun_extraction") or self.has_change_permission(request)

    @admin.action(description=_("Re-run extraction on the selected articles"), permissions=["rerun_extraction"])
    def rerun_extraction(self, request: HttpRequest, queryset) -> None:
        queued = skipped = 0
        for pk, status, has_text in queryset.select_related(None).values_list("pk", "status", "content_hash"):
            if has_text and status != Article.Status.DUPLICATE:
                services.queue_extraction(article_id=pk, force=True)
                queued += 1
            else:
                skipped += 1
        self.message_user(request, _("Extraction queued for %(queued)d article(s); %(skipped)d without text skipped.")
                          % {"queued": queued, "skipped": skipped}, messages.SUCCESS)

    @admin.action(description=_("Retry the selected articles (fetch again if they have no text)"),
                  permissions=["change"])
    def retry(self, request: HttpRequest, queryset) -> None:
        results = [services.requeue(article_id=pk) for pk in queryset.values_list("pk", flat=True)]
        done = sum(1 for r in results if not r.startswith("skipped"))
        self.message_user(request, _("%(done)d article(s) sent again, %(skipped)d skipped.")
                          % {"done": done, "skipped": len(results) - done}, messages.SUCCESS)
