import uuid

from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import models


def image_storage():
    return storages["images"]


def risk_level(malignancy_risk: float) -> str:
    """The one place that turns a malignancy risk into the low / medium / high shown to users."""
    if malignancy_risk >= 0.5:
        return "high"
    return "medium" if malignancy_risk >= 0.2 else "low"


class PredictionQuerySet(models.QuerySet):
    def visible_to(self, user):
        from patients.models import LesionImage

        return self.filter(image__in=LesionImage.objects.visible_to(user))


class Prediction(models.Model):
    """The AI's second opinion on one image by one model version. Never edited in place."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    image = models.ForeignKey("patients.LesionImage", on_delete=models.PROTECT, related_name="predictions")
    model_version = models.ForeignKey("diagnosis.ModelVersion", on_delete=models.PROTECT, related_name="predictions")
    probabilities = models.JSONField(help_text="Every class's probability, in the model's class order.")
    top_class = models.CharField(max_length=20)
    confidence = models.FloatField(help_text="Probability of the top class.")
    malignancy_risk = models.FloatField(help_text="Summed probability of akiec, bcc and mel.", db_index=True)
    heatmap = models.FileField(storage=image_storage, max_length=255, blank=True)
    duration_ms = models.PositiveIntegerField(help_text="Time to classify and explain the image.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PredictionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Idempotence: a re-delivered task for the same image and version adds nothing.
            models.UniqueConstraint(fields=["image", "model_version"], name="one_prediction_per_image_and_version"),
        ]

    def __str__(self) -> str:
        return f"{self.top_class} {self.confidence:.0%} for {self.image}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("Predictions are never edited in place.")
        super().save(*args, **kwargs)

    def ranked(self, k: int | None = None) -> list[tuple[str, float]]:
        ranked = sorted(self.probabilities.items(), key=lambda item: item[1], reverse=True)
        return ranked[:k] if k else ranked

    @property
    def top_classes(self) -> list[tuple[str, float]]:
        return self.ranked(3)

    @property
    def risk_level(self) -> str:
        return risk_level(self.malignancy_risk)
