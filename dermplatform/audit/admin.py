from django.contrib import admin

from dermplatform.read_only_admin import ReadOnlyAdmin

from . import history_admin
from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read and filter only: the trail is append-only."""

    list_display = ["at", "username", "clinic", "action", "object_type", "object_id", "outcome", "status_code",
                    "client_address", "request_id"]
    list_filter = ["outcome", "action", "object_type", "clinic", ("at", admin.DateFieldListFilter)]
    search_fields = ["=username", "=request_id", "=client_request_id"]
    date_hierarchy = "at"
    list_select_related = ["clinic"]
    show_full_result_count = False  # counting a long trail on every page is slow


# The value history of each tracked model (dermplatform.audit.history): platform admins only.
history_admin.register_all(admin.site)
