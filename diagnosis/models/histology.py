from django.conf import settings
from django.db import models

from dermplatform.audit.history import tracked
from diagnosis.models.review import DIAGNOSES

HISTOLOGY_DIAGNOSES = [*DIAGNOSES, ("other", "Other (not one of the seven classes)")]


@tracked()
class Histology(models.Model):
    """The histopathology result of a case, entered when the report comes back: the case's ground truth.

    A correction is a new entry that supersedes the old one; none is edited."""

    case = models.ForeignKey("patients.Case", on_delete=models.PROTECT, related_name="histologies")
    diagnosis = models.CharField(max_length=10, choices=HISTOLOGY_DIAGNOSES)
    reported_on = models.DateField(help_text="Date of the histopathology report.")
    report_reference = models.CharField(max_length=100, help_text="The laboratory's reference of the report.")
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "histology results"

    def __str__(self) -> str:
        return f"Histology: {self.diagnosis} ({self.reported_on:%Y-%m-%d})"
