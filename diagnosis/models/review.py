from django.conf import settings
from django.db import models

from dermplatform.audit.history import tracked

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


MALIGNANT = frozenset({"akiec", "bcc", "mel"})


class ManagementPlan(models.TextChoices):
    REASSURE = "reassure", "Reassure"
    FOLLOW_UP = "follow_up", "Follow-up"
    EXCISION = "excision", "Excision"
    BIOPSY = "biopsy", "Biopsy"
    REFERRAL = "referral", "Referral"


@tracked()
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
    plan = models.CharField(
        max_length=10, choices=ManagementPlan.choices, blank=True,
        help_text="The management plan; blank only on reviews recorded before plans existed.",
    )
    follow_up_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Months until the follow-up visit; only with a follow-up plan."
    )
    downgraded_from = models.CharField(
        max_length=10, choices=DIAGNOSES, blank=True,
        help_text=(
            "On a downgrade, the malignant class it went against (histology, review in force, AI; mel for the "
            "melanoma flag); empty for the malignancy flag alone."
        ),
    )
    downgrade_of = models.CharField(
        max_length=300, blank=True,
        help_text=(
            "The malignant or flagged opinions this decision turned into a benign diagnosis or a Reassure/Follow-up "
            "plan (diagnosis.review.rules), in words; empty when it is no downgrade."
        ),
    )
    downgrade_reason = models.TextField(blank=True, help_text="Why the decision went against a malignant or flagged opinion.")
    notes = models.TextField(blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        # The "reviewed" and "my reviews" lists, newest first.
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="review_newest_first"),
            models.Index(fields=["reviewer", "-created_at", "-id"], name="review_by_reviewer"),
        ]

    @property
    def is_downgrade(self) -> bool:
        # Reviews recorded before downgrade_of existed carry only the malignant review they superseded.
        return bool(self.downgrade_of or self.downgraded_from)

    @property
    def downgrade_sources(self) -> str:
        """What the downgrade went against, in words; empty when it is none."""
        if self.downgrade_of:
            return self.downgrade_of
        return f"review in force: {self.get_downgraded_from_display()}" if self.downgraded_from else ""

    @property
    def downgrade_text(self) -> str:
        """The downgrade as the history, the PDF and FHIR state it; empty when it is none."""
        if not self.is_downgrade:
            return ""
        decided = self.get_diagnosis_display() + (f", plan {self.plan_text}" if self.plan else "")
        return f"Downgrade of {self.downgrade_sources} to {decided}. Reason: {self.downgrade_reason}"

    @property
    def plan_text(self) -> str:
        if not self.plan:
            return ""
        if self.plan == ManagementPlan.FOLLOW_UP and self.follow_up_months:
            return f"Follow-up in {self.follow_up_months} month{'s' if self.follow_up_months != 1 else ''}"
        return self.get_plan_display()

    def __str__(self) -> str:
        return f"{self.get_decision_display()}: {self.diagnosis} by {self.reviewer} at {self.created_at:%Y-%m-%d %H:%M}"
