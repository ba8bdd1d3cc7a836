import pghistory.core
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db import connection
from django.utils.html import format_html, format_html_join

from dermplatform.read_only_admin import ReadOnlyAdmin

from .history import BASELINE
from .models import AuditEvent, ValueChange


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read and filter only: the trail is append-only."""

    list_display = ["at", "username", "clinic", "action", "object_type", "object_id", "outcome", "status_code",
                    "client_address", "request_id"]
    list_filter = ["outcome", "action", "object_type", "clinic", ("at", admin.DateFieldListFilter)]
    search_fields = ["=username", "=request_id"]
    date_hierarchy = "at"
    list_select_related = ["clinic"]
    show_full_result_count = False  # counting a long trail on every page is slow


class _TrackedModelFilter(admin.SimpleListFilter):
    """Which kind of record: reads only that model's event table."""

    title = "record"
    parameter_name = "record"

    def lookups(self, request, model_admin):
        return sorted(
            (model.pgh_tracked_model._meta.label_lower, model.pgh_tracked_model._meta.verbose_name.capitalize())
            for model in pghistory.core.event_models()
        )

    def queryset(self, request, queryset):
        if self.value():
            tracked = apps.get_model(self.value())
            return queryset.across(*pghistory.core.event_models(tracks_model=tracked, include_missing_pgh_obj=True))
        return queryset


class _LabelFilter(admin.SimpleListFilter):
    title = "change"
    parameter_name = "pgh_label"

    def lookups(self, request, model_admin):
        return [("insert", "created"), ("update", "updated"), ("before_update", "before an update"),
                ("delete", "deleted"), (BASELINE, "existing when tracking began")]

    def queryset(self, request, queryset):
        return queryset.filter(pgh_label=self.value()) if self.value() else queryset


@admin.register(ValueChange)
class ValueChangeAdmin(ReadOnlyAdmin):
    """The old and new values of clinical records and accounts (dermplatform.audit.history): platform admins only.

    Filter by record type, change, user and time; search by the record's id (`pgh_obj_id`, the database id), its
    public id, the request id (joins to the audit trail) or the user name.
    """

    list_display = ["pgh_created_at", "record", "pgh_label", "changes", "user", "request_id"]
    list_filter = [_TrackedModelFilter, _LabelFilter, ("pgh_created_at", admin.DateFieldListFilter)]
    search_fields = ["=pgh_obj_id", "=pgh_data__public_id", "=request_id", "=user__username"]
    list_select_related = ["user"]
    readonly_fields = ["pgh_created_at", "record", "pgh_label", "changes", "user", "request_id", "pgh_data"]
    fields = readonly_fields
    show_full_result_count = False

    def get_queryset(self, request):
        queryset = ValueChange.objects.order_by("-pgh_created_at", "-pgh_id")
        object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
        if object_id:
            # One event: read only its own table ("patients.PatientEvent:12").
            label = unquote(object_id).partition(":")[0]
            try:
                queryset = queryset.across(apps.get_model(label))
            except (LookupError, ValueError):
                return queryset.none()
        return queryset

    @admin.display(description="record", ordering="pgh_obj_model")
    def record(self, event):
        model = apps.get_model(event.pgh_obj_model)
        return f"{model._meta.verbose_name.capitalize()} #{event.pgh_obj_id}"

    @admin.display(description="old → new")
    def changes(self, event):
        if event.pgh_label in ("insert", BASELINE):
            return "(created)" if event.pgh_label == "insert" else "(as it was when tracking began)"
        if event.pgh_label == "delete":
            return "(deleted)"
        if not event.pgh_diff:
            return "-"
        return format_html('<ul class="value-changes">{}</ul>', format_html_join(
            "", "<li>{}: {} → {}</li>",
            ((field, _shown(old), _shown(new)) for field, (old, new) in sorted(event.pgh_diff.items())),
        ))

    def _allowed(self, request) -> bool:
        # A query over PostgreSQL's JSONB: the embedded SQLite has no history to show.
        return connection.vendor == "postgresql" and getattr(request.user, "is_platform_admin", False)

    def has_module_permission(self, request):
        return self._allowed(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request) and super().has_view_permission(request, obj)


def _shown(value) -> str:
    return "(empty)" if value in (None, "") else str(value)
