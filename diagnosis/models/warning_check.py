from django.conf import settings
from django.db import models


class WarningKind(models.TextChoices):
    """Warnings about a case's images that concern the decision (diagnosis.review.case_warnings)."""

    DUPLICATE = "duplicate", "Same file stored for another patient"
    NOT_ASSESSABLE = "not_assessable", "Image not assessable by the AI"
    AI_FAILED = "ai_failed", "The AI failed on an image"


# The kinds a person may mark checked; an AI failure leaves only when the AI succeeds on a retry.
CHECKABLE = (WarningKind.DUPLICATE, WarningKind.NOT_ASSESSABLE)


class WarningCheck(models.Model):
    """Someone of the clinic looked at an image's warning and marked it checked (audited): it leaves the case.
    One per image and kind; never edited."""

    image = models.ForeignKey("patients.LesionImage", on_delete=models.PROTECT, related_name="warning_checks")
    kind = models.CharField(max_length=20, choices=WarningKind.choices)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["image", "kind"], name="one_check_per_image_warning")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} checked by {self.checked_by} at {self.checked_at:%Y-%m-%d %H:%M}"
