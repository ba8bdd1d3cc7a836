"""The value history in the admin: one read-only list per tracked model (patient events, case events, ...).

Each list reads its own event table, newest first by its primary key, and works out the old values of only the rows
it shows (the previous snapshot of the same record, a subquery PostgreSQL runs after the limit). pghistory's
cross-table `Events` view diffs every row before filtering: with 44,000 patient events its first page took 3.6 s
and one patient's rows 7.4 s, these whole pages 0.11 s and 0.07 s (bench/value_history.py). Platform admins only;
hidden on SQLite, which keeps no history.
"""

import uuid

import pghistory.core
from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.db.models import BigIntegerField, JSONField, OuterRef, Q, Subquery
from django.db.models.fields.json import KT, KeyTextTransform
from django.db.models.functions import Cast, JSONObject
from django.utils.html import format_html, format_html_join

from dermplatform.accounts.models import User
from dermplatform.read_only_admin import ReadOnlyAdmin

from .admin_reads import AuditedReadsAdmin, audit_ref
from .history import BASELINE
from .models import Action
from .services import object_type_of

LABELS = {"insert": "created", "update": "updated", "before_update": "before an update", "delete": "deleted",
          BASELINE: "existing when tracking began"}


def _tracked_columns(event_model) -> list[str]:
    return [f.attname for f in event_model._meta.concrete_fields if not f.name.startswith("pgh_")]


class _LabelFilter(admin.SimpleListFilter):
    title = "change"
    parameter_name = "change"

    def lookups(self, request, model_admin):
        labels = {tracker.label for tracker in model_admin.model.pgh_trackers}
        return [(label, text) for label, text in LABELS.items() if label in labels]

    def queryset(self, request, queryset):
        return queryset.filter(pgh_label=self.value()) if self.value() else queryset


class _UserFilter(admin.SimpleListFilter):
    """Who made the change: the user named in the row's context (none for writes outside a request)."""

    title = "user"
    parameter_name = "user"

    def lookups(self, request, model_admin):
        return [(str(pk), username) for pk, username in User.objects.order_by("username").values_list("pk", "username")]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(pgh_context__user=int(self.value()))
        return queryset


def _tracked_model(event_model):
    return event_model._meta.get_field("pgh_obj").related_model


class _WhenFilter(admin.DateFieldListFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "date"


class HistoryAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    """Every list and row shown is audited (admin.value_history): the record when the list is one record's
    history (its id or public id searched, as the record's "Value history" link does) or the row's; any other
    search only as a keyed hash (AuditedReadsAdmin)."""

    # Human column and filter names in place of pghistory's field names ("Pgh created at", "Pgh label").
    list_display = ["when", "change_kind", "record", "changes", "by", "request"]
    list_filter = [_LabelFilter, _UserFilter, ("pgh_created_at", _WhenFilter)]
    search_fields = ["pgh_obj_id"]  # shows the box; get_search_results reads it exactly
    search_help_text = "A record's database id or public id, or a request id (as in the audit trail)."
    ordering = ["-pgh_id"]
    show_full_result_count = False

    def get_queryset(self, request):
        columns = _tracked_columns(self.model)
        snapshot = JSONObject(**{column: column for column in columns})
        previous = (
            self.model.objects.filter(pgh_obj_id=OuterRef("pgh_obj_id"), pgh_id__lt=OuterRef("pgh_id"))
            .order_by("-pgh_id").values(snapshot=JSONObject(**{column: column for column in columns}))[:1]
        )
        acting_user = Cast(KeyTextTransform("user", OuterRef("pgh_context")), BigIntegerField())
        username = User.objects.filter(pk=acting_user).values("username")[:1]
        return super().get_queryset(request).annotate(
            _now=snapshot,
            _before=Subquery(previous, output_field=JSONField()),
            _by=Subquery(username),
            _request_id=KT("pgh_context__request_id"),
        )

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isdigit():
            return queryset.filter(pgh_obj_id=int(term)), False
        query = Q(pgh_context__request_id=term)
        try:
            public_id = uuid.UUID(term)
        except ValueError:
            public_id = None
        if public_id is not None and "public_id" in _tracked_columns(self.model):
            query |= Q(public_id=public_id)
        return queryset.filter(query), False

    def audit_list_target(self, request, changelist):
        tracked = _tracked_model(self.model)
        object_type, term = object_type_of(tracked), changelist.query.strip()
        if not term:
            return Action.VALUE_HISTORY, object_type, None, False
        record = None
        if term.isdigit() and len(term) <= 18:
            record = tracked.objects.filter(pk=int(term)).first()
        elif "public_id" in _tracked_columns(self.model):
            try:
                record = tracked.objects.filter(public_id=uuid.UUID(term)).first()
            except ValueError:
                record = None
        if record is None:
            return Action.VALUE_HISTORY, object_type, None, True
        object_type, object_id = audit_ref(record)
        return Action.VALUE_HISTORY, object_type, object_id, False

    def audit_object(self, event):
        tracked = _tracked_model(self.model)
        if getattr(event, "public_id", None) is not None:
            return object_type_of(tracked), event.public_id
        record = tracked.objects.filter(pk=event.pgh_obj_id).first()
        return audit_ref(record) if record is not None else (object_type_of(tracked), None)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # One row of the value history: recorded as a value-history read of its record.
        return self._audited(request, Action.VALUE_HISTORY, "original",
                             lambda: super(AuditedReadsAdmin, self).change_view(request, object_id, form_url,
                                                                                extra_context))

    def get_fields(self, request, obj=None):
        return ["when", "change_kind", "changes", "by", "request", "record_name", *_tracked_columns(self.model)]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description="when", ordering="pgh_created_at")
    def when(self, event):
        return event.pgh_created_at

    @admin.display(description="change", ordering="pgh_label")
    def change_kind(self, event):
        return LABELS.get(event.pgh_label, event.pgh_label)

    @admin.display(description="record")
    def record_name(self, event):
        try:
            return str(event.pgh_obj)
        except ObjectDoesNotExist:
            return f"#{event.pgh_obj_id} (deleted)"

    @admin.display(description="record")
    def record(self, event):
        # Links to this record's whole history.
        return format_html('<a href="?q={}">#{}</a>', event.pgh_obj_id, event.pgh_obj_id)

    @admin.display(description="old → new")
    def changes(self, event):
        if event.pgh_label in ("insert", BASELINE, "delete"):
            return f"({LABELS[event.pgh_label]})"
        before, now = event._before, event._now
        if not before:
            return "(no earlier copy)"
        changed = [(column, _shown(before.get(column)), _shown(value)) for column, value in sorted(now.items())
                   if before.get(column) != value]
        if not changed:
            return "-"
        return format_html('<ul class="value-changes">{}</ul>', format_html_join("", "<li>{}: {} → {}</li>", changed))

    @admin.display(description="by")
    def by(self, event):
        # A user for a request; the task's name for what a worker wrote (the AI's case updates).
        return event._by or (event.pgh_context or {}).get("task") or "-"

    @admin.display(description="request id")
    def request(self, event):
        return event._request_id or "-"

    def _allowed(self, request) -> bool:
        # The triggers are PostgreSQL's: the embedded SQLite has no history to show.
        return connection.vendor == "postgresql" and getattr(request.user, "is_platform_admin", False)

    def has_module_permission(self, request):
        return self._allowed(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request) and super().has_view_permission(request, obj)


def _shown(value) -> str:
    return "(empty)" if value in (None, "") else str(value)


def _event_str(event) -> str:
    # "Review #12, updated at 2026-12-03 17:31" rather than "ReviewEvent object (40)".
    tracked = _tracked_model(type(event))._meta.verbose_name
    return f"{tracked[:1].upper()}{tracked[1:]} #{event.pgh_obj_id}, {LABELS.get(event.pgh_label, event.pgh_label)} at " \
           f"{event.pgh_created_at:%Y-%m-%d %H:%M}"


def register_all(site) -> None:
    for event_model in pghistory.core.event_models():
        event_model.__str__ = _event_str
        site.register(event_model, type(f"{event_model.__name__}Admin", (HistoryAdmin,), {}))
