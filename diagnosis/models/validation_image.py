from django.db import models

from diagnosis.models.prediction import image_storage
from diagnosis.models.review import DIAGNOSES


class ValidationImage(models.Model):
    """One labelled image of a local validation run and, once scored, the model's result on it.

    An uploaded image's bytes live in the image storage (like LesionImage's) but belong to no patient; an image
    taken from the clinic's cases with histology points at that LesionImage instead (its truth: the histology)."""

    run = models.ForeignKey("diagnosis.ValidationRun", on_delete=models.CASCADE, related_name="images")
    position = models.PositiveIntegerField()
    file_name = models.CharField(max_length=255, blank=True)
    image = models.FileField(storage=image_storage, max_length=255, blank=True)
    lesion_image = models.ForeignKey(
        "patients.LesionImage", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sha256 = models.CharField(max_length=64, blank=True)
    truth = models.CharField(max_length=10, choices=DIAGNOSES)
    age = models.FloatField(null=True, blank=True)
    sex = models.CharField(max_length=10, blank=True)
    localization = models.CharField(max_length=40, blank=True)
    # The model's result, once scored.
    scored = models.BooleanField(default=False)
    probabilities = models.JSONField(null=True, blank=True)
    mel_score = models.FloatField(null=True, blank=True)
    malignant_score = models.FloatField(null=True, blank=True)
    mel_flag = models.BooleanField(null=True, blank=True)
    malignant_flag = models.BooleanField(null=True, blank=True)
    assessable = models.BooleanField(null=True, blank=True)
    not_assessable_reasons = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "position"]
        constraints = [models.UniqueConstraint(fields=["run", "position"], name="one_validation_image_per_position")]

    def __str__(self) -> str:
        return f"{self.file_name or 'image'} ({self.truth})"

    def metadata(self) -> dict:
        return {"age": self.age, "sex": self.sex or None, "localization": self.localization or None}
