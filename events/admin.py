"""The editors' admin: events (map widget, evidence, review queue, merge, history), sites,
places and alias suggestions.

Every change an editor saves goes through ``events.services`` so that the fields they
change are locked against re-extraction and a concurrent edit is refused. Article text and
titles are hostile input: everything taken from them is escaped (``format_html`` /
``escape``), and links to original articles are only made for http(s) URLs.
"""
from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from leaflet.admin import LeafletGeoAdminMixin
from simple_history.admin import SimpleHistoryAdmin

from . import selectors, services
from .models import AliasSuggestion, Event, Place, ReviewQueueEvent, Site

Status = Event.ReviewStatus

admin.site.site_header = "conflictmap"
admin.site.site_title = "conflictmap admin"
admin.site.index_title = "Editors' desk"

# Evidence keys shown under another field of the form (the field they support there).
EVIDENCE_SHOWN_UNDER = {
    "event_type": "sub_event_type",
    "disorder_type": "sub_event_type",
    "time_precision": "event_date",
    "geo_precision": "point",
    "latitude": "point",
    "longitude": "point",
    "site_slug": "site",
    "admin1": "location",
    "admin2": "location",
}
MAX_QUOTES_PER_FIELD = 4
CIVILIAN_TARGETING_CHOICES = [("", "—"), ("Civilian targeting", "Civilian targeting")]
TEXT_FIELDS_AUTO_DIR = ("actor1", "assoc_actor_1", "actor2", "assoc_actor_2", "location", "admin1", "admin2",
                        "weapon", "target", "notes")


class CspNonceMixin:
    """Let django-leaflet's inline map script run under the Content-Security-Policy.

    The widget renders its ``<script>`` with ``request.csp_nonce``; adding the nonce
    sentinel to script-src for these views puts the same nonce in the header.
    """

    def _allow_nonce(self, response: HttpResponse) -> HttpResponse:
        from csp.constants import NONCE

        update = dict(getattr(response, "_csp_update", None) or {})
        update["script-src"] = [*update.get("script-src", []), NONCE]
        response._csp_update = update
        return response

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._allow_nonce(super().changeform_view(request, object_id, form_url, extra_context))

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        return self._allow_nonce(super().history_form_view(request, object_id, version_id, extra_context))


# --- Small HTML helpers (everything from articles is escaped) ------------------------------


def auto_dir(value: Any) -> SafeString:
    """A text cell that shows Arabic right-to-left and English left-to-right."""
    if value in (None, ""):
        return mark_safe("—")
    return format_html('<span dir="auto">{}</span>', value)


def safe_url(url: str | None) -> str | None:
    """Only http(s) links to original articles: never javascript:, data: and the like."""
    url = (url or "").strip()
    return url if url.lower().startswith(("http://", "https://")) else None


def article_admin_url(article_id: int) -> str | None:
    try:
        return reverse("admin:ingest_article_change", args=[article_id])
    except NoReverseMatch:  # the Article admin is not registered (yet)
        return None


def highlight(text: str, spans: list[selectors.Span]) -> SafeString:
    """``text`` escaped, with the evidence spans wrapped in ``<mark>`` (field names in title)."""
    parts: list[str] = []
    pos = 0
    for span in spans:
        start, end = max(span.start, pos), min(span.end, len(text))
        if start >= end:
            continue
        parts.append(escape(text[pos:start]))
        label = ", ".join(span.fields)
        parts.append(format_html('<mark class="cm-span" title="{}" data-fields="{}">{}</mark>', label, label,
                                 text[start:end]))
        pos = end
    parts.append(escape(text[pos:]))
    return mark_safe("".join(parts))


def evidence_html(items: list[dict]) -> SafeString:
    shown = items[:MAX_QUOTES_PER_FIELD]
    quotes = format_html_join(
        "", '<li><q class="cm-quote" dir="auto">{}</q> <a href="#cm-article-{}">article {}</a></li>',
        ((item.get("text", ""), item.get("article"), item.get("article")) for item in shown),
    )
    more = f"<li>… and {len(items) - len(shown)} more</li>" if len(items) > len(shown) else ""
    return format_html('<ul class="cm-evidence" aria-label="Evidence">{}{}</ul>', quotes, mark_safe(more))


# --- The event form ------------------------------------------------------------------------


class EventAdminForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=True)
    locked_fields = forms.MultipleChoiceField(
        choices=[(f, f) for f in services.LOCKABLE_FIELDS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Fields an editor has corrected: re-extraction never changes them. "
                  "Untick one to let new articles update it again.",
    )
    review_status = forms.ChoiceField(choices=[(s.value, s.label) for s in services.EDITOR_STATUSES])
    civilian_targeting = forms.ChoiceField(choices=CIVILIAN_TARGETING_CHOICES, required=False)

    class Meta:
        model = Event
        fields = [
            "review_status", "locked_fields", "notes",
            "event_date", "time_precision", "sub_event_type",
            "actor1", "inter1", "assoc_actor_1", "actor2", "inter2", "assoc_actor_2", "civilian_targeting",
            "point", "location", "geo_precision", "site", "country", "admin1", "admin2",
            "fatalities", "injured", "weapon", "target",
        ]
        help_texts = {
            "event_date": "The day the event happened (not the day it was reported).",
            "point": "Drag the marker to move the event. Moving it onto a place or site whose names lack the "
                     "article's name for it offers that name as a new alias.",
            "sub_event_type": "ACLED's sub-event type; the event type and disorder type follow from it.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        if instance.pk:
            # The history's "revert" form is built on an old version: the version to check
            # against is always the one in the database now.
            current = Event.objects.filter(pk=instance.pk).values_list("version", flat=True).first()
            self.initial["version"] = current if current is not None else instance.version
        if instance.review_status == Status.MERGED:
            self.fields["review_status"].choices = [(Status.MERGED.value, Status.MERGED.label)] + [
                (s.value, f"{s.label} (un-merge)") for s in services.EDITOR_STATUSES]
        for name in TEXT_FIELDS_AUTO_DIR:
            if name in self.fields:
                self.fields[name].widget.attrs["dir"] = "auto"
        self._attach_evidence(instance)

    def _attach_evidence(self, instance: Event) -> None:
        by_field: dict[str, list[dict]] = {}
        for key, items in (instance.evidence or {}).items():
            target = EVIDENCE_SHOWN_UNDER.get(key, key)
            if target in self.fields:
                by_field.setdefault(target, []).extend(items)
        for name, items in by_field.items():
            field = self.fields[name]
            base = format_html("<div>{}</div>", field.help_text) if field.help_text else ""
            field.help_text = format_html("{}{}", base, evidence_html(items))

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and "version" in cleaned:
            current = Event.objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
            if current is not None and current != cleaned["version"]:
                raise ValidationError(
                    "This event was changed by someone else (another editor or re-extraction) since you opened "
                    "it. Your changes were not saved. Reload the page to see the current version, then make "
                    "your change again.",
                    code="event_changed",
                )
        return cleaned


def _normalise_text(value: Any) -> Any:
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def changes_against(form: forms.ModelForm, current: Event) -> dict[str, Any]:
    """The values of ``form`` that differ from the event as it is in the database now.

    Compared with each form field's own ``has_changed`` (so a map widget that re-serialises
    an unmoved point is not a change), against the database rather than the form's initial
    values (the history's revert form starts from an old version).
    """
    initial = model_to_dict(current)
    editable = set(services.LOCKABLE_FIELDS) | services.UNLOCKED_EDITOR_FIELDS
    changes: dict[str, Any] = {}
    for name, field in form.fields.items():
        if name not in editable or field.disabled or name not in form.cleaned_data:
            continue
        value = form.cleaned_data[name]
        if isinstance(field, forms.CharField) and not isinstance(field, forms.ChoiceField):
            if _normalise_text(initial.get(name) or "") == _normalise_text(value or ""):
                continue
            changes[name] = _normalise_text(value)
        elif field.has_changed(initial.get(name), form[name].data):
            changes[name] = value
    return changes


# --- List filters --------------------------------------------------------------------------


class ConfidenceFilter(admin.SimpleListFilter):
    title = "confidence"
    parameter_name = "confidence"

    def lookups(self, request, model_admin):
        return [("low", "low (under 0.4)"), ("medium", "medium (0.4 to 0.7)"), ("high", "high (0.7 and over)")]

    def queryset(self, request, queryset):
        return {
            "low": queryset.filter(confidence__lt=0.4),
            "medium": queryset.filter(confidence__gte=0.4, confidence__lt=0.7),
            "high": queryset.filter(confidence__gte=0.7),
        }.get(self.value(), queryset)


class HasFatalitiesFilter(admin.SimpleListFilter):
    title = "fatalities"
    parameter_name = "has_fatalities"

    def lookups(self, request, model_admin):
        return [("yes", "with fatalities"), ("no", "no fatalities reported")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(fatalities__gt=0)
        if self.value() == "no":
            return queryset.filter(Q(fatalities__isnull=True) | Q(fatalities=0))
        return queryset


class LockedFilter(admin.SimpleListFilter):
    title = "corrected by an editor"
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("yes", "has locked fields"), ("no", "machine values only")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(locked_fields=[])
        if self.value() == "no":
            return queryset.filter(locked_fields=[])
        return queryset


# --- Actions (shared by the event list and the review queue) -------------------------------


@admin.action(description="Mark selected events as verified", permissions=["change"])
def verify_events(modeladmin, request, queryset):
    n = services.set_review_status(events=queryset, status=Status.VERIFIED, user=request.user)
    modeladmin.message_user(request, f"{n} event(s) marked as verified.", messages.SUCCESS)


@admin.action(description="Reject selected events (not real events)", permissions=["change"])
def reject_events(modeladmin, request, queryset):
    n = services.set_review_status(events=queryset, status=Status.REJECTED, user=request.user)
    modeladmin.message_user(request, f"{n} event(s) rejected. Re-extraction will not bring them back.",
                            messages.SUCCESS)


@admin.action(description="Mark selected events as unreviewed", permissions=["change"])
def mark_unreviewed(modeladmin, request, queryset):
    n = services.set_review_status(events=queryset, status=Status.UNREVIEWED, user=request.user)
    modeladmin.message_user(request, f"{n} event(s) marked as unreviewed.", messages.SUCCESS)


def suggested_survivor(events: list[Event]) -> Event:
    """Verified first, then the most sources, the highest confidence, the oldest."""
    return sorted(events, key=lambda e: (e.review_status != Status.VERIFIED, -getattr(e, "n_sources", 0),
                                         -e.confidence, e.pk))[0]


@admin.action(description="Merge selected events (duplicates) into one…", permissions=["merge"])
def merge_selected(modeladmin, request, queryset):
    events = list(selectors.with_source_counts(Event.objects.filter(pk__in=queryset.values("pk"))).order_by("pk"))
    if len(events) < 2:
        modeladmin.message_user(request, "Select at least two events to merge.", messages.WARNING)
        return None
    merged = [e for e in events if e.review_status == Status.MERGED]
    if merged:
        modeladmin.message_user(
            request, "Already merged: " + ", ".join(f"#{e.pk}" for e in merged) + ". Un-merge them first.",
            messages.ERROR)
        return None
    if request.POST.get("post") == "yes":
        try:
            survivor_id = int(request.POST.get("survivor", ""))
        except ValueError:
            survivor_id = None
        by_id = {e.pk: e for e in events}
        if survivor_id in by_id:
            try:
                survivor = services.merge_events(survivor=by_id[survivor_id],
                                                 others=[e for e in events if e.pk != survivor_id], user=request.user)
            except services.MergeError as exc:
                modeladmin.message_user(request, str(exc), messages.ERROR)
                return None
            url = reverse("admin:events_event_change", args=[survivor.pk])
            modeladmin.message_user(
                request, format_html('{} event(s) merged into <a href="{}">#{}</a>.', len(events) - 1, url,
                                     survivor.pk), messages.SUCCESS)
            return None
        modeladmin.message_user(request, "Choose the event that survives the merge.", messages.ERROR)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Merge events",
        "opts": modeladmin.model._meta,
        "events": events,
        "suggested": suggested_survivor(events).pk,
        "action_name": "merge_selected",
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "media": modeladmin.media,
    }
    return TemplateResponse(request, "admin/events/event/merge_confirmation.html", context)


@admin.action(description="Un-merge selected merged events", permissions=["change"])
def unmerge_selected(modeladmin, request, queryset):
    done = 0
    for event in queryset.filter(review_status=Status.MERGED):
        services.unmerge_event(event=event, user=request.user)
        done += 1
    modeladmin.message_user(request, f"{done} event(s) un-merged.", messages.SUCCESS if done else messages.WARNING)


class EventListMixin:
    """Columns shared by the event list and the review queue."""

    @admin.display(description="location", ordering="location")
    def location_cell(self, obj):
        return auto_dir(obj.location)

    @admin.display(description="actor 1", ordering="actor1")
    def actor1_cell(self, obj):
        return auto_dir(obj.actor1)

    @admin.display(description="actor 2", ordering="actor2")
    def actor2_cell(self, obj):
        return auto_dir(obj.actor2)

    @admin.display(description="sources", ordering="n_sources")
    def n_sources(self, obj):
        return getattr(obj, "n_sources", None)

    @admin.display(description="confidence", ordering="confidence")
    def confidence_cell(self, obj):
        return f"{obj.confidence:.2f}"

    @admin.display(description="locked")
    def locks_cell(self, obj):
        return format_html('<span title="{}">{}</span>', ", ".join(obj.locked_fields), len(obj.locked_fields)) \
            if obj.locked_fields else "—"

    def has_merge_permission(self, request):
        return request.user.has_perm("events.merge_event")


# --- Event admin ---------------------------------------------------------------------------


@admin.register(Event)
class EventAdmin(EventListMixin, CspNonceMixin, LeafletGeoAdminMixin, SimpleHistoryAdmin):
    form = EventAdminForm
    list_display = ("id", "event_date", "sub_event_type", "location_cell", "country", "actor1_cell", "actor2_cell",
                    "fatalities", "confidence_cell", "n_sources", "review_status", "locks_cell")
    list_display_links = ("id", "event_date")
    list_filter = ("review_status", "sub_event_type", "country", ConfidenceFilter, HasFatalitiesFilter, LockedFilter)
    date_hierarchy = "event_date"
    search_fields = ("location", "actor1", "actor2", "assoc_actor_1", "assoc_actor_2", "notes", "target")
    list_per_page = 50
    show_full_result_count = False
    actions = [verify_events, reject_events, mark_unreviewed, merge_selected, unmerge_selected]
    autocomplete_fields = ["site"]
    readonly_fields = ("event_type", "disorder_type", "confidence", "merged_into_link", "extractor_version",
                       "created_at", "updated_at", "sources_panel")
    history_list_display = ["review_status"]
    fieldsets = [
        ("Review", {"fields": ["review_status", "merged_into_link", "confidence", "locked_fields", "notes",
                               "version"]}),
        ("What happened", {"fields": [("event_date", "time_precision"), "sub_event_type",
                                      ("event_type", "disorder_type")]}),
        ("Who", {"fields": [("actor1", "inter1"), "assoc_actor_1", ("actor2", "inter2"), "assoc_actor_2",
                            "civilian_targeting"]}),
        ("Where", {"fields": ["point", ("location", "geo_precision"), "site", ("country", "admin1", "admin2")]}),
        ("Impact", {"fields": [("fatalities", "injured"), "weapon", "target"]}),
        ("Sources and evidence", {"fields": ["sources_panel"]}),
        ("Record", {"classes": ["collapse"], "fields": ["extractor_version", "created_at", "updated_at"]}),
    ]

    class Media:
        css = {"all": ["events/admin/editors.css"]}

    def get_queryset(self, request):
        return selectors.with_source_counts(super().get_queryset(request)).select_related("site", "merged_into")

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        """The history's "Changes" column, without the evidence JSON and timestamps (noise)."""
        previous = None
        for current in historical_records:
            if previous is not None:
                delta = previous.diff_against(current, excluded_fields=["evidence", "updated_at", "created_at"],
                                              foreign_keys_are_objs=foreign_keys_are_objs)
                helper = self.get_historical_record_context_helper(request, previous)
                previous.history_delta_changes = helper.context_for_delta_changes(delta)
            previous = current

    # -- read-only panels --
    @admin.display(description="merged into")
    def merged_into_link(self, obj):
        if not obj or not obj.merged_into_id:
            return "—"
        url = reverse("admin:events_event_change", args=[obj.merged_into_id])
        return format_html(
            '<a href="{}">#{} {}</a> <button type="submit" name="_unmerge" value="1" class="button">Un-merge</button>',
            url, obj.merged_into_id, str(obj.merged_into) if obj.merged_into else "")

    @admin.display(description="articles, with the evidence highlighted")
    def sources_panel(self, obj):
        if not obj or not obj.pk:
            return "—"
        sections = []
        for link in selectors.event_sources(obj):
            article = link.article
            title_spans = selectors.evidence_spans(obj, article.pk, in_title=True)
            body_spans = selectors.evidence_spans(obj, article.pk)
            direction = "rtl" if (article.language or "").startswith("ar") else "auto"
            links = []
            admin_url = article_admin_url(article.pk)
            if admin_url:
                links.append(format_html('<a href="{}">article #{} in the admin</a>', admin_url, article.pk))
            else:
                links.append(format_html("article #{}", article.pk))
            original = safe_url(article.canonical_url or article.url)
            if original:
                links.append(format_html('<a href="{}" rel="noopener noreferrer nofollow" target="_blank">original</a>',
                                         original))
            if article.outlet:
                links.append(format_html('<span dir="auto">{}</span>', article.outlet))
            if article.published:
                links.append(format_html("{}", article.published.date().isoformat()))
            if link.merged_from_id:
                links.append(format_html("came with merged event #{}", link.merged_from_id))
            sections.append(format_html(
                '<section class="cm-source" id="cm-article-{}">'
                '<h3 class="cm-title" dir="{}">{}</h3><p class="cm-meta">{}</p>'
                '<div class="cm-article-text" dir="{}" lang="{}">{}</div></section>',
                article.pk, direction, highlight(article.title or "(no title)", title_spans),
                mark_safe(" · ".join(links)), direction, article.language or "", highlight(article.text or "", body_spans),
            ))
        if not sections:
            return "No article reports this event."
        return mark_safe("".join(sections))

    # -- saving through the services --
    def save_model(self, request, obj, form, change):
        if change:
            current = Event.objects.get(pk=obj.pk)
            saved = services.update_event_by_editor(
                event=current, changes=changes_against(form, current), user=request.user,
                expected_version=form.cleaned_data.get("version"))
        else:
            data = {k: v for k, v in form.cleaned_data.items() if k in services.LOCKABLE_FIELDS}
            saved = services.create_event_by_editor(data=data, user=request.user)
        for f in Event._meta.concrete_fields:
            setattr(obj, f.attname, getattr(saved, f.attname))
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        pass  # the event has no editable relations besides those the service saved

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and object_id and "_unmerge" in request.POST:
            return self._unmerge_view(request, object_id)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.EventChanged as exc:  # lost the race between the form's check and the save
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.path)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        try:
            return super().history_form_view(request, object_id, version_id, extra_context)
        except services.EventChanged as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.path)

    def _unmerge_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        event = self.get_object(request, object_id)
        if event is None:
            raise PermissionDenied
        if not self.has_change_permission(request, event):
            raise PermissionDenied
        try:
            services.unmerge_event(event=event, user=request.user)
            self.message_user(request, f"Event #{event.pk} un-merged.", messages.SUCCESS)
        except services.MergeError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        return HttpResponseRedirect(reverse("admin:events_event_change", args=[event.pk]))


# --- Review queue --------------------------------------------------------------------------

# The columns selectors.review_queue() annotates and orders by.
QUEUE_ORDERING = ("review_rank", "confidence", "-n_sources", "-event_date", "-id")


class ReviewQueueChangeList(ChangeList):
    def _get_default_ordering(self):
        # So that the column headers show the queue's order, not the Event model's.
        return list(QUEUE_ORDERING)

    def url_for_result(self, result):
        return reverse("admin:events_event_change", args=[result.pk], current_app=self.model_admin.admin_site.name)


@admin.register(ReviewQueueEvent)
class ReviewQueueAdmin(EventListMixin, admin.ModelAdmin):
    """Unreviewed events first, then the least confident, then those with the most sources."""

    list_display = ("id", "review_status", "confidence_cell", "n_sources", "event_date", "sub_event_type",
                    "location_cell", "actor1_cell", "fatalities")
    list_display_links = ("id",)
    list_filter = ("review_status", "sub_event_type", "country", ConfidenceFilter, HasFatalitiesFilter)
    search_fields = EventAdmin.search_fields
    list_per_page = 50
    show_full_result_count = False
    actions = [verify_events, reject_events, merge_selected]

    class Media:
        css = {"all": ["events/admin/editors.css"]}

    def get_queryset(self, request):
        # Not super(): it orders by get_ordering() before the ranking columns exist.
        return selectors.review_queue(self.model._default_manager.get_queryset()).select_related("site")

    def get_ordering(self, request):
        return list(QUEUE_ORDERING)

    def get_changelist(self, request, **kwargs):
        return ReviewQueueChangeList

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:events_event_change", args=[object_id]))

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": "Review queue: unreviewed first, then the least confident, then the most reported",
                         **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    # The queue is a view of events: editors' permissions on events apply.
    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("events.view_event") or request.user.has_perm("events.change_event")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("events.change_event")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_module_permission(self, request):
        return self.has_view_permission(request)


# --- Sites, places, alias suggestions ------------------------------------------------------


@admin.register(Site)
class SiteAdmin(CspNonceMixin, LeafletGeoAdminMixin, SimpleHistoryAdmin):
    list_display = ("name_en", "name_ar_cell", "kind", "operator", "country", "first_seen", "last_seen")
    list_filter = ("kind", "country")
    search_fields = ("slug", "name_en", "name_ar", "aliases", "operator")
    readonly_fields = ("first_seen", "last_seen")
    fields = ("slug", "name_en", "name_ar", "aliases", "kind", "operator", "country", "admin1", "point",
              "precision_km", "source", "first_seen", "last_seen")

    @admin.display(description="Arabic name", ordering="name_ar")
    def name_ar_cell(self, obj):
        return format_html('<span dir="rtl" lang="ar">{}</span>', obj.name_ar) if obj.name_ar else "—"

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        for name in ("name_ar", "aliases"):
            if name in form.base_fields:
                form.base_fields[name].widget.attrs["dir"] = "auto"
        return form


@admin.register(Place)
class PlaceAdmin(CspNonceMixin, LeafletGeoAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "name_ar_cell", "kind", "country", "admin1", "population", "source")
    list_filter = ("country", "kind", "source")
    search_fields = ("name", "name_ar", "names", "source_id")
    show_full_result_count = False
    list_per_page = 50
    readonly_fields = ("keys",)

    @admin.display(description="Arabic name", ordering="name_ar")
    def name_ar_cell(self, obj):
        return format_html('<span dir="rtl" lang="ar">{}</span>', obj.name_ar) if obj.name_ar else "—"

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        for name in ("name_ar", "names"):
            if name in form.base_fields:
                form.base_fields[name].widget.attrs["dir"] = "auto"
        return form


@admin.action(description="Accept selected suggestions (add the names as aliases)", permissions=["change"])
def accept_suggestions(modeladmin, request, queryset):
    n = 0
    for suggestion in queryset.filter(accepted__isnull=True):
        services.accept_alias_suggestion(suggestion=suggestion, user=request.user)
        n += 1
    modeladmin.message_user(request, f"{n} alias(es) added.", messages.SUCCESS)


@admin.action(description="Reject selected suggestions", permissions=["change"])
def reject_suggestions(modeladmin, request, queryset):
    n = 0
    for suggestion in queryset.filter(accepted__isnull=True):
        services.reject_alias_suggestion(suggestion=suggestion, user=request.user)
        n += 1
    modeladmin.message_user(request, f"{n} suggestion(s) rejected.", messages.SUCCESS)


@admin.register(AliasSuggestion)
class AliasSuggestionAdmin(admin.ModelAdmin):
    list_display = ("name_cell", "target", "event_link", "created_by", "created_at", "accepted", "accept_button")
    list_filter = ("accepted",)
    search_fields = ("name", "place__name", "site__name_en")
    actions = [accept_suggestions, reject_suggestions]
    readonly_fields = ("place", "site", "event", "accepted", "created_by", "created_at")
    fields = ("name", "place", "site", "event", "accepted", "created_by", "created_at")

    @admin.display(description="name used by the article", ordering="name")
    def name_cell(self, obj):
        return auto_dir(obj.name)

    @admin.display(description="alias of")
    def target(self, obj):
        if obj.place_id:
            url = reverse("admin:events_place_change", args=[obj.place_id])
            return format_html('<a href="{}" dir="auto">{}</a> (place)', url, str(obj.place))
        if obj.site_id:
            url = reverse("admin:events_site_change", args=[obj.site_id])
            return format_html('<a href="{}" dir="auto">{}</a> (site)', url, str(obj.site))
        return "—"

    @admin.display(description="event")
    def event_link(self, obj):
        if not obj.event_id:
            return "—"
        return format_html('<a href="{}">#{}</a>', reverse("admin:events_event_change", args=[obj.event_id]),
                           obj.event_id)

    @admin.display(description="")
    def accept_button(self, obj):
        if obj.accepted is not None:
            return ""
        # Submits the change list's own form (it carries the CSRF token): one click.
        return format_html('<button type="submit" class="button" name="_accept_suggestion" value="{}">Accept</button>',
                           obj.pk)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("place", "site", "created_by")

    def has_add_permission(self, request):
        return False

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST" and "_accept_suggestion" in request.POST:
            if not self.has_change_permission(request):
                raise PermissionDenied
            suggestion = AliasSuggestion.objects.filter(pk=request.POST["_accept_suggestion"]).first()
            if suggestion is None:
                self.message_user(request, "That suggestion no longer exists.", messages.WARNING)
            else:
                services.accept_alias_suggestion(suggestion=suggestion, user=request.user)
                self.message_user(request, format_html('"{}" added as an alias of {}.', suggestion.name,
                                                       str(suggestion.place or suggestion.site)), messages.SUCCESS)
            return HttpResponseRedirect(request.get_full_path())
        return super().changelist_view(request, extra_context)
