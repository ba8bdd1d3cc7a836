import uuid

from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import models

from dermplatform.audit.history import tracked


def image_storage():
    return storages["images"]


# The two operating points of the model card, in the order a reviewer must read them.
FLAG_KEYS = ("mel", "malignant")


class Flag:
    """The AI's flag for an image or a case, from the most to the least urgent."""

    MEL = "mel"
    MALIGNANT = "malignant"
    NOT_ASSESSABLE = "not_assessable"
    NONE = "none"  # evaluated at the operating points, not flagged
    UNAVAILABLE = "unavailable"  # the model has no operating points

    CHOICES = [
        (MEL, "Suspicious for melanoma: consider excision or biopsy"),
        (MALIGNANT, "Suspicious for malignancy (akiec, bcc or melanoma): consider biopsy"),
        (NOT_ASSESSABLE, "Not assessable by the AI"),
        (NONE, "Not flagged at the AI's operating point (second opinion, not a rule-out)"),
        (UNAVAILABLE, "No flag: this model has no operating point (second opinion, not a rule-out)"),
    ]
    TEXT = dict(CHOICES)
    # Short forms for badges (queue rows, image cards).
    LABEL = {
        MEL: "suspicious for melanoma",
        MALIGNANT: "suspicious for malignancy",
        NOT_ASSESSABLE: "not assessable",
        NONE: "not flagged",
        UNAVAILABLE: "no flag",
    }


_FLAG_SCORE = {"mel": ("P(melanoma)", "melanoma sensitivity"), "malignant": ("P(akiec + bcc + melanoma)", "sensitivity to malignancy")}


def operating_point_text(key: str, threshold: float, card: dict | None = None) -> str:
    """E.g. "threshold 0.12 on P(melanoma), set for 90 % melanoma sensitivity on validation data"."""
    score, sensitivity = _FLAG_SCORE[key]
    text = f"threshold {threshold:.3g} on {score}"
    point = ((card or {}).get("operating_points") or {}).get(key) or {}
    target = point.get("target_sensitivity")
    if isinstance(target, (int, float)):
        return f"{text}, set for {target * 100:.0f} % {sensitivity} on validation data"
    return f"{text}, chosen on validation data"


def clinic_operating_point_text(key: str, threshold: float, label: str) -> str:
    """E.g. "threshold 0.2 on P(melanoma), clinic threshold of 2026-12-10 (local validation)"."""
    return f"threshold {threshold:.3g} on {_FLAG_SCORE[key][0]}, {label} (local validation)"


def risk_level(malignancy_risk: float) -> str:
    """The one place that turns a malignancy risk into the low / medium / high shown to users."""
    if malignancy_risk >= 0.5:
        return "high"
    return "medium" if malignancy_risk >= 0.2 else "low"


class PredictionQuerySet(models.QuerySet):
    def visible_to(self, user):
        from patients.models import LesionImage

        return self.filter(image__in=LesionImage.objects.visible_to(user))


# Written once by the worker and never changed: only a change (or deletion) made behind the application's back is
# recorded, old row and new. The heat-map's stored name is left out.
@tracked(exclude=["heatmap"], inserts=False)
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
    # Flags at the model card's operating points; null when the model had none (old or tiny models).
    mel_score = models.FloatField(null=True, blank=True, help_text="P(mel), the score the melanoma flag compares.")
    mel_flag = models.BooleanField(null=True, blank=True, help_text="Suspicious for melanoma: P(mel) ≥ mel_threshold.")
    mel_threshold = models.FloatField(null=True, blank=True)
    malignant_flag = models.BooleanField(
        null=True, blank=True, help_text="Suspicious for malignancy: P(akiec)+P(bcc)+P(mel) ≥ malignant_threshold."
    )
    malignant_threshold = models.FloatField(null=True, blank=True)
    # Which operating point the flags were held against: the model card's, or a clinic's adopted thresholds.
    clinic_thresholds = models.ForeignKey(
        "diagnosis.ClinicThresholds", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The clinic's adopted thresholds in force when the image was classified (empty: the model card's).",
    )
    operating_point_source = models.CharField(
        max_length=100, blank=True,
        help_text='Where the thresholds came from, e.g. "model card" or "clinic threshold of 2026-12-10".',
    )
    assessable = models.BooleanField(default=True, help_text="False when the image guard refused to judge the image.")
    not_assessable_reason = models.TextField(blank=True)
    guard = models.JSONField(default=dict, blank=True, help_text="The image guard's signal values.")
    metadata_used = models.JSONField(default=dict, blank=True, help_text="Age, sex and site as fed to the model.")
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

    @property
    def flag(self) -> str:
        """This image's own flag (Flag.*): a not-assessable image has none of the others."""
        if not self.assessable:
            return Flag.NOT_ASSESSABLE
        if self.mel_flag:
            return Flag.MEL
        if self.malignant_flag:
            return Flag.MALIGNANT
        if self.mel_flag is None and self.malignant_flag is None:
            return Flag.UNAVAILABLE
        return Flag.NONE

    @property
    def flag_text(self) -> str:
        return Flag.TEXT[self.flag]

    @property
    def flag_label(self) -> str:
        return Flag.LABEL[self.flag]

    def operating_point(self, key: str) -> str:
        threshold = self.mel_threshold if key == "mel" else self.malignant_threshold
        if threshold is None:
            return ""
        clinic = self.clinic_thresholds
        if clinic is not None and clinic.threshold(key) is not None:
            return clinic_operating_point_text(key, threshold, clinic.label)
        return operating_point_text(key, threshold, self.model_version.card)

    @property
    def operating_points(self) -> str:
        """The operating point behind this image's flag, or both when it is not flagged."""
        keys = {Flag.MEL: ["mel"], Flag.MALIGNANT: ["malignant"], Flag.NONE: list(FLAG_KEYS)}.get(self.flag, [])
        return "; ".join(text for text in (self.operating_point(key) for key in keys) if text)

    @property
    def flags(self) -> dict:
        """{"mel": {"flagged", "score", "threshold"}, "malignant": {...}} as the API shows them."""
        return {
            "mel": {"flagged": self.mel_flag, "score": self.mel_score, "threshold": self.mel_threshold},
            "malignant": {
                "flagged": self.malignant_flag,
                "score": self.malignancy_risk,
                "threshold": self.malignant_threshold,
            },
        }
