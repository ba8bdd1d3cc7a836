from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from dermplatform.audit.admin_reads import AuditedReadsAdmin
from dermplatform.read_only_admin import ReadOnlyAdmin

from .models import Case, LesionImage, Patient


class ClinicalRecordAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    """Clinical records are read here, never written: changes go through the pages and the API, whose services
    check the clinic, keep the case's state consistent and leave an audit event. (Edited here, a patient could
    move to another clinic, or a case be "Reviewed" with no review.) Records are archived with a reason, never
    deleted; image bytes and their hashes are evidence. Every list, search, record and history page read here is
    audited (AuditedReadsAdmin)."""

    @admin.display(description="Value history")
    def value_history(self, obj):
        # The record's old and new values, kept by the database (dermplatform.audit.history): platform admins only.
        events = obj.pgh_event_model._meta
        url = reverse(f"admin:{events.app_label}_{events.model_name}_changelist")
        return format_html('<a href="{}?q={}">Every change, old and new values</a>', url, obj.pk)

# Stored files are shown through the access-checked views, never their storage URL: the database storage has
# none, and an S3 URL would be public.
FILE_FIELDS = {"image", "thumbnail"}


class ReadOnlyImageInline(admin.TabularInline):
    model = LesionImage
    extra = 0
    can_delete = False
    fields = ["public_id", "preview", "content_type", "width", "height", "sha256", "uploaded_by", "uploaded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Image")
    def preview(self, image):
        return format_html('<a href="{}">view</a>', image.content_url())


@admin.register(Patient)
class PatientAdmin(ClinicalRecordAdmin):
    list_display = ["medical_record_number", "last_name", "first_name", "clinic", "date_of_birth", "archived_at"]
    list_filter = ["clinic", "sex"]
    search_fields = ["medical_record_number", "last_name", "first_name"]
    readonly_fields = ["public_id", "created_by", "created_at", "updated_at", "archived_at", "archived_by", "archive_reason",
                       "value_history"]


@admin.register(Case)
class CaseAdmin(ClinicalRecordAdmin):
    list_display = ["public_id", "patient", "body_site", "status", "created_at", "archived_at"]
    list_filter = ["status", "body_site", "patient__clinic"]
    readonly_fields = ["public_id", "created_by", "created_at", "updated_at", "archived_at", "archived_by", "archive_reason",
                       "value_history"]
    inlines = [ReadOnlyImageInline]


@admin.register(LesionImage)
class LesionImageAdmin(ClinicalRecordAdmin):
    list_display = ["public_id", "case", "content_type", "width", "height", "uploaded_at"]
    exclude = sorted(FILE_FIELDS)
    readonly_fields = [f.name for f in LesionImage._meta.fields if f.name not in FILE_FIELDS] + [
        "preview", "original", "value_history",
    ]

    @admin.display(description="Thumbnail")
    def preview(self, image):
        return format_html('<img src="{}" alt="thumbnail">', image.thumbnail_url())

    @admin.display(description="Image")
    def original(self, image):
        return format_html('<a href="{}">{}</a>', image.content_url(), image.image.name)
