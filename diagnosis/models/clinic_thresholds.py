import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class ClinicThresholdsQuerySet(models.QuerySet):
    def current(self):
        return self.filter(superseded_by__isnull=True)

    def in_force(self, *, clinic_id: int, model_version_id: int):
        return self.current().filter(clinic_id=clinic_id, model_version_id=model_version_id).first()


class ClinicThresholds(models.Model):
    """The operating points a clinic adopted for a model version after a local validation.

    Versioned: every adoption (or return to the model card's thresholds) is a new row that supersedes the one in
    force; none is edited. A threshold left empty means the model card's applies to that flag."""

    class Kind(models.TextChoices):
        ADOPTED = "adopted", "Clinic thresholds adopted"
        RESTORED = "restored", "Model card thresholds restored"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    model_version = models.ForeignKey("diagnosis.ModelVersion", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    mel_threshold = models.FloatField(null=True, blank=True)
    malignant_threshold = models.FloatField(null=True, blank=True)
    run = models.ForeignKey(
        "diagnosis.ValidationRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The local validation the thresholds come from (empty once that run is deleted).",
    )
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClinicThresholdsQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "clinic thresholds"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Clinic thresholds are never edited: adopt or restore anew.")
        super().save(*args, **kwargs)

    def threshold(self, key: str) -> float | None:
        return self.mel_threshold if key == "mel" else self.malignant_threshold

    @property
    def label(self) -> str:
        """E.g. "clinic threshold of 2026-12-10"."""
        return f"clinic threshold of {timezone.localdate(self.created_at):%Y-%m-%d}"
