from django.contrib import admin, messages
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from dermplatform.accounts.models import Clinic
from dermplatform.audit.admin_reads import AuditedReadsAdmin
from dermplatform.audit.services import Action, event_record
from dermplatform.read_only_admin import ReadOnlyAdmin
from diagnosis.inference.ai_waiting import images_delayed, images_waiting
from diagnosis.inference.model_activation import images_waiting_for_ai, model_version_activate
from diagnosis.inference.model_version_form import ModelVersionForm, card_figures_html, card_json_html
from diagnosis.models import (
    ClassificationJob,
    ClinicThresholds,
    ModelVersion,
    Prediction,
    Review,
    ValidationImage,
    ValidationRun,
)
from diagnosis.reports import selectors as report_selectors
from diagnosis.reports.drift import ALPHA, MIN_IMAGES, drift_reference


class ClinicalReadOnlyAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    """Read only, and every list, search, record and history page audited (AuditedReadsAdmin)."""


def percent(value) -> str:
    """A probability or threshold as the pages show it (e.g. 62.5 %); a dash for none."""
    return "—" if value is None else f"{value * 100:.1f} %"


def _percent_field(name: str, label: str):
    display = admin.display(description=label, ordering=name)(lambda self, obj: percent(getattr(obj, name)))
    display.__name__ = f"{name}_percent"
    return display


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "sha256", "is_active", "runtime", "registered_at"]
    list_filter = ["runtime", "is_active"]
    # The card as figures; its raw JSON stays one click away. Switching the active version off goes through
    # ModelVersionForm (diagnosis.inference.model_activation: refused while images wait for the AI, else confirmed first).
    form = ModelVersionForm
    readonly_fields = ["name", "sha256", "directory", "classes", "card_figures", "card_json", "runtime",
                       "litert_sha256", "runtime_note", "registered_at"]
    fieldsets = [
        (None, {"fields": ["name", "sha256", "is_active", "confirm_switch_off", "notes", "registered_at"]}),
        ("Model card", {"fields": ["card_figures"]}),
        ("Model card (raw JSON)", {"classes": ["collapse"], "fields": ["card_json"]}),
        ("Files and runtime", {"fields": ["directory", "classes", "runtime", "litert_sha256", "runtime_note"]}),
    ]
    actions = ["make_active"]

    @admin.display(description="Figures")
    def card_figures(self, version):
        return card_figures_html(version)

    @admin.display(description="model.json")
    def card_json(self, version):
        return card_json_html(version)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.is_active:
            return fieldsets
        # The confirmation belongs to switching the active version off only.
        first = [name for name in fieldsets[0][1]["fields"] if name != "confirm_switch_off"]
        return [(None, {"fields": first}), *fieldsets[1:]]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

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
                # Warned before anyone tries: the active version is the only one.
                "only_active": version.is_active,
                "images_waiting": images_waiting_for_ai() if version.is_active else 0,
            }
            if request.method == "GET":
                event_record(action=Action.PERFORMANCE_VIEW, actor=request.user, status_code=200)
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Make the selected version the active one")
    def make_active(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version.", messages.ERROR)
            return
        model_version_activate(version=queryset.get(), by=request.user)
        self.message_user(request, "Active model changed; new uploads use it.")


@admin.register(Prediction)
class PredictionAdmin(ClinicalReadOnlyAdmin):
    list_display = [
        "public_id", "image", "mel_flag", "malignant_flag", "assessable", "top_class", "confidence_percent",
        "malignancy_risk_percent", "model_version", "created_at",
    ]
    list_filter = ["mel_flag", "malignant_flag", "assessable", "top_class", "model_version"]
    # Probabilities, scores and thresholds as percentages. The heat-map goes through its access-checked view: the
    # database storage has no URL (and S3's would be public).
    fields = [
        "public_id", "image", "model_version", "top_class", "confidence_percent", "probabilities_percent",
        "malignancy_risk_percent", "mel_score_percent", "mel_flag", "mel_threshold_percent", "malignant_flag",
        "malignant_threshold_percent", "clinic_thresholds", "operating_point_source", "assessable",
        "not_assessable_reason", "guard", "metadata_used", "heatmap_link", "duration_ms", "created_at",
    ]
    readonly_fields = fields
    confidence_percent = _percent_field("confidence", "confidence")
    malignancy_risk_percent = _percent_field("malignancy_risk", "malignancy risk")
    mel_score_percent = _percent_field("mel_score", "P(melanoma)")
    mel_threshold_percent = _percent_field("mel_threshold", "melanoma flag threshold")
    malignant_threshold_percent = _percent_field("malignant_threshold", "malignancy flag threshold")

    @admin.display(description="probabilities")
    def probabilities_percent(self, prediction):
        ranked = sorted((prediction.probabilities or {}).items(), key=lambda item: item[1], reverse=True)
        return ", ".join(f"{name} {percent(p)}" for name, p in ranked)

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


class WaitingFilter(admin.SimpleListFilter):
    """Jobs by where their image stands: still waiting for the AI, waiting longer than DERM_AI_DELAYED_SECONDS
    (diagnosis.inference.ai_waiting: the same rule as the case page), or given up on."""

    title = "waiting for the AI"
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [("waiting", "Waiting"), ("delayed", "Delayed (waiting too long)"), ("failed", "Given up on")]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(image__in=images_waiting().values("pk"))
        if self.value() == "delayed":
            return queryset.filter(image__in=images_delayed().values("pk"))
        if self.value() == "failed":
            return queryset.filter(failed_at__isnull=False)
        return queryset


@admin.register(ClassificationJob)
class ClassificationJobAdmin(ClinicalReadOnlyAdmin):
    list_display = ["image", "queued_at", "times_queued", "attempts", "retried_at", "failed_at", "failure_reason"]
    list_filter = [WaitingFilter, ("failed_at", admin.EmptyFieldListFilter)]


class ValidationImageInline(admin.TabularInline):
    model = ValidationImage
    fields = ["position", "file_name", "truth", "scored", "assessable", "mel_score_percent", "malignant_score_percent",
              "error"]
    readonly_fields = fields
    mel_score_percent = _percent_field("mel_score", "P(melanoma)")
    malignant_score_percent = _percent_field("malignant_score", "P(akiec + bcc + melanoma)")
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
    list_display = ["clinic", "model_version", "kind", "mel_threshold_percent", "malignant_threshold_percent",
                    "decided_by", "created_at", "run"]
    mel_threshold_percent = _percent_field("mel_threshold", "melanoma flag threshold")
    malignant_threshold_percent = _percent_field("malignant_threshold", "malignancy flag threshold")
    list_filter = ["kind", "clinic"]
    exclude = ["mel_threshold", "malignant_threshold"]
    readonly_fields = ["mel_threshold_percent", "malignant_threshold_percent"]
