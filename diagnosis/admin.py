from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from dermplatform.read_only_admin import ReadOnlyAdmin

from .models import ClassificationJob, ClinicThresholds, ModelVersion, Prediction, Review, ValidationImage, ValidationRun


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

    @admin.action(description="Make the selected version the active one")
    def make_active(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version.", messages.ERROR)
            return
        ModelVersion.objects.filter(is_active=True).update(is_active=False)
        queryset.update(is_active=True)
        self.message_user(request, "Active model changed; new uploads use it.")


@admin.register(Prediction)
class PredictionAdmin(ReadOnlyAdmin):
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
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["case", "reviewer", "decision", "diagnosis", "ai_diagnosis", "created_at"]
    list_filter = ["decision", "diagnosis"]


@admin.register(ClassificationJob)
class ClassificationJobAdmin(ReadOnlyAdmin):
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
class ValidationRunAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "clinic", "model_version", "source", "status", "done", "total", "created_by",
                    "created_at"]
    list_filter = ["status", "source", "clinic"]
    inlines = [ValidationImageInline]


@admin.register(ClinicThresholds)
class ClinicThresholdsAdmin(ReadOnlyAdmin):
    list_display = ["clinic", "model_version", "kind", "mel_threshold", "malignant_threshold", "decided_by",
                    "created_at", "run"]
    list_filter = ["kind", "clinic"]
