import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse

from dermplatform.audit.history import tracked

from .archivable import Archivable, ClinicScopedQuerySet


class BodySite(models.TextChoices):
    """HAM10000's localization vocabulary."""

    ABDOMEN = "abdomen", "Abdomen"
    ACRAL = "acral", "Acral"
    BACK = "back", "Back"
    CHEST = "chest", "Chest"
    EAR = "ear", "Ear"
    FACE = "face", "Face"
    FOOT = "foot", "Foot"
    GENITAL = "genital", "Genital"
    HAND = "hand", "Hand"
    LOWER_EXTREMITY = "lower extremity", "Lower extremity"
    NECK = "neck", "Neck"
    SCALP = "scalp", "Scalp"
    TRUNK = "trunk", "Trunk"
    UPPER_EXTREMITY = "upper extremity", "Upper extremity"
    UNKNOWN = "unknown", "Unknown"


class CaseStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    AWAITING_AI = "awaiting_ai", "Awaiting AI"
    AWAITING_REVIEW = "awaiting_review", "Awaiting review"
    REVIEWED = "reviewed", "Reviewed"
    AI_FAILED = "ai_failed", "AI failed"


class CaseQuerySet(ClinicScopedQuerySet):
    clinic_path = "patient__clinic"


@tracked()
class Case(Archivable):
    """One lesion at one visit (its body site is the lesion's)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="cases")
    lesion = models.ForeignKey("patients.Lesion", on_delete=models.PROTECT, related_name="cases",
                               help_text="The lesion this case is one visit of.")
    body_site = models.CharField(max_length=20, choices=BodySite.choices, default=BodySite.UNKNOWN)
    clinical_notes = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.DRAFT, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        # Lists (the API's /api/cases/, a patient's cases) read a clinic's cases newest first.
        indexes = [models.Index(fields=["-created_at", "-id"], name="case_newest_first")]

    def __str__(self) -> str:
        return f"Case {str(self.public_id)[:8]} · {self.get_body_site_display()}"

    def get_absolute_url(self) -> str:
        return reverse("patients:case_detail", args=[self.public_id])
