from django.contrib import admin, messages
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from dermplatform.accounts.models import Clinic
from dermplatform.audit.admin_reads import AuditedReadsAdmin
from dermplatform.audit.services import Action, event_record
from dermplatform.read_only_admin import ReadOnlyAdmin

from .models import ClassificationJob, ClinicThresholds, ModelVersion, Prediction, Review, ValidationImage, ValidationRun
from .reports import selectors as report_selectors
from .reports.drift import ALPHA, MIN_IMAGES, drift_reference


class ClinicalReadOnlyAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    """Read only, and every list, search, record and history page audited (AuditedReadsAdmin)."""


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "sha256", "is_active", "runtime", "registered_at"]
    list_filter = ["runtime", "is_active"]
    readonly_fields = ["name", "sha256", "directory", "classes", "card", "runtime", "litert_sha256", "runtime_note",
                       "registered_at"]
    actions = ["make_active"]

    def has_add_permission(self, request):
        return False  # versions are registered from model folders: manage.py register_model

    def has_delete_permission(self, request, obj=None):
        return False

    # The weekly drift watch per clinic (reports.drift): its own page, and a warning on each version's page. Both
    # read through the same scoped selector as the performance page and are audited like it (performance.view,
    # with the clinic chosen).
    def get_urls(self):
        drift = path("drift/", self.admin_site.admin_view(self.drift_view), name="diagnosis_modelversion_drift")
        return [drift, *super().get_urls()]

    def drift_view(self, request):
        clinic = request.GET.get("clinic", "")
        if clinic and not (clinic.isascii() and clinic.isdigit() and len(clinic) <= 18):
            raise Http404("No such clinic.")
        clinic_id = int(clinic) if clinic else None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Drift watch",
            "clinics": Clinic.objects.order_by("name"),
            "clinic": clinic,
            "drift": report_selectors.drift_watch(user=request.user, clinic_id=clinic_id),
            "drift_alpha": ALPHA,
            "drift_min_images": MIN_IMAGES,
        }
        event_record(action=Action.PERFORMANCE_VIEW, actor=request.user, clinic_id=clinic_id, status_code=200)
        return TemplateResponse(request, "admin/diagnosis/modelversion/drift_watch.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        version = self.get_object(request, object_id)
        if version is not None:
            tables = report_selectors.drift_watch(user=request.user, model_version_id=version.pk)
            extra_context = {
                **(extra_context or {}),
                "drift_has_reference": drift_reference(version.card) is not None,
                "drift_out_of_range": [table for table in tables if table.out_of_range_weeks],
            }
            if request.method == "GET":
                event_record(action=Action.PERFORMANCE_VIEW, actor=request.user, status_code=200)
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Make the selected version the active one")
    def make_active(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version.", messages.ERROR)
            return
        ModelVersion.objects.filter(is_active=True).update(is_active=False)
        queryset.update(is_active=True)
        self.message_user(request, "Active model changed; new uploads use it.")


@admin.register(Prediction)
class PredictionAdmin(ClinicalReadOnlyAdmin):
    list_display = [
        "public_id", "image", "mel_flag", "malignant_flag", "assessable", "top_class", "confidence", "malignancy_risk",
        "model_version", "created_at",
    ]
    list_filter = ["mel_flag", "malignant_flag", "assessable", "top_class", "model_version"]
    # The heat-map goes through its access-checked view: the database storage has no URL (and S3's would be public).
    exclude = ["heatmap"]
    readonly_fields = ["heatmap_link"]

    @admin.display(description="Heat-map")
    def heatmap_link(self, prediction):
        if not prediction.heatmap:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("diagnosis:heatmap", args=[prediction.public_id]),
                           prediction.heatmap.name)


@admin.register(Review)
class ReviewAdmin(ClinicalReadOnlyAdmin):
    list_display = ["case", "reviewer", "decision", "diagnosis", "ai_diagnosis", "created_at"]
    list_filter = ["decision", "diagnosis"]


@admin.register(ClassificationJob)
class ClassificationJobAdmin(ClinicalReadOnlyAdmin):
    list_display = ["image", "queued_at", "times_queued", "attempts", "failed_at", "failure_reason"]
    list_filter = [("failed_at", admin.EmptyFieldListFilter)]


class ValidationImageInline(admin.TabularInline):
    model = ValidationImage
    fields = ["position", "file_name", "truth", "scored", "assessable", "mel_score", "malignant_score", "error"]
    readonly_fields = fields
    exclude = ["image"]
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ValidationRun)
class ValidationRunAdmin(ClinicalReadOnlyAdmin):
    list_display = ["public_id", "clinic", "model_version", "source", "status", "done", "total", "created_by",
                    "created_at"]
    list_filter = ["status", "source", "clinic"]
    inlines = [ValidationImageInline]


@admin.register(ClinicThresholds)
class ClinicThresholdsAdmin(ClinicalReadOnlyAdmin):
    list_display = ["clinic", "model_version", "kind", "mel_threshold", "malignant_threshold", "decided_by",
                    "created_at", "run"]
    list_filter = ["kind", "clinic"]
