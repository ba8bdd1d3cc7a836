from django.conf import settings
from django.db import models

DIAGNOSES = [
    ("akiec", "Actinic keratosis / intraepithelial carcinoma"),
    ("bcc", "Basal cell carcinoma"),
    ("bkl", "Benign keratosis-like lesion"),
    ("df", "Dermatofibroma"),
    ("mel", "Melanoma"),
    ("nv", "Melanocytic nevus"),
    ("vasc", "Vascular lesion"),
]


class ReviewDecision(models.TextChoices):
    CONFIRM = "confirm", "Confirm the AI's diagnosis"
    OVERRIDE = "override", "Override with another diagnosis"


class Review(models.Model):
    """A dermatologist's decision on a case. A new review supersedes the old one; none is edited."""

    case = models.ForeignKey("patients.Case", on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews")
    decision = models.CharField(max_length=10, choices=ReviewDecision.choices)
    diagnosis = models.CharField(max_length=10, choices=DIAGNOSES)
    ai_diagnosis = models.CharField(
        max_length=10, choices=DIAGNOSES, blank=True,
        help_text="The AI's top class when reviewed; blank when the AI could assess none of the images.",
    )
    notes = models.TextField(blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()}: {self.diagnosis} by {self.reviewer} at {self.created_at:%Y-%m-%d %H:%M}"
