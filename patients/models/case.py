import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse

from dermplatform.api.errors import StateConflict
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


# The case's lifecycle: the statuses each may move to. Images can be added at any status (the case goes back to
# the AI); the AI moves a case on once it answered or gave up on every image, staff retry a failed one, and a
# dermatologist's decision (or a later one superseding it) makes it reviewed. Anything else is a StateConflict.
CASE_MOVES: dict[str, frozenset[str]] = {
    CaseStatus.DRAFT: frozenset({CaseStatus.AWAITING_AI}),
    CaseStatus.AWAITING_AI: frozenset({CaseStatus.AWAITING_AI, CaseStatus.AWAITING_REVIEW, CaseStatus.AI_FAILED}),
    CaseStatus.AI_FAILED: frozenset({CaseStatus.AWAITING_AI, CaseStatus.AWAITING_REVIEW}),
    CaseStatus.AWAITING_REVIEW: frozenset({CaseStatus.AWAITING_AI, CaseStatus.REVIEWED}),
    CaseStatus.REVIEWED: frozenset({CaseStatus.AWAITING_AI, CaseStatus.REVIEWED}),
}


def waiting_for_review(status: str, archived_at) -> bool:
    """The one definition of a case on the dermatologists' queue (Case.waiting_for_review, for rows of values)."""
    return status == CaseStatus.AWAITING_REVIEW and archived_at is None


class CaseQuerySet(ClinicScopedQuerySet):
    clinic_path = "patient__clinic"

    def waiting_for_review(self):
        return self.filter(waiting_for_review_q())


def waiting_for_review_q(prefix: str = "") -> models.Q:
    """waiting_for_review as a filter, on cases or (`prefix` "case__") on rows related to a case."""
    return models.Q(**{f"{prefix}status": CaseStatus.AWAITING_REVIEW, f"{prefix}archived_at__isnull": True})


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

    def can_move_to(self, status: str) -> bool:
        return status in CASE_MOVES[self.status]

    def move_to(self, status: str) -> None:
        """Set and save the status (with `updated_at`), or refuse a move the lifecycle does not allow (CASE_MOVES)
        with a StateConflict; nothing is saved then. The caller holds the case's row lock."""
        if not self.can_move_to(status):
            raise StateConflict(
                f"A case {CaseStatus(self.status).label.lower()} cannot become {CaseStatus(status).label.lower()}.",
                code="status",
            )
        self.status = status
        self.save(update_fields=["status", "updated_at"])

    def waiting_for_review(self) -> bool:
        return waiting_for_review(self.status, self.archived_at)

    @property
    def reviewable(self) -> bool:
        """A dermatologist may record a decision now (the AI has answered; a later decision supersedes)."""
        return not self.is_archived and self.can_move_to(CaseStatus.REVIEWED)
