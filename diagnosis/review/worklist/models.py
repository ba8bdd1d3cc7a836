from django.conf import settings
from django.db import models


class ItemKind(models.TextChoices):
    """What staff must do, in the order the worklist shows the kinds."""

    DISCORDANT = "discordant", "Discordant histology: call the patient back"
    AI_FAILED = "ai_failed", "AI failed: retry"
    RETAKE = "retake", "Image not assessable: retake"
    BOOK = "book", "Excision or biopsy to book"
    HISTOLOGY = "histology", "Histology outstanding"
    FOLLOW_UP = "follow_up", "Follow-up visit due"


class WorklistMarkQuerySet(models.QuerySet):
    def in_force(self):
        return self.filter(reopened_at__isnull=True)


class WorklistMark(models.Model):
    """A worklist item marked done: the item (kind and case) and the fact it showed when it was done.

    While in force, the item stays off the list as long as the fact is the same; a new fact (another plan, another
    failure, a new histology) brings it back. Reopening (done by mistake) keeps the row, with who and when."""

    kind = models.CharField(max_length=12, choices=ItemKind.choices)
    case = models.ForeignKey("patients.Case", on_delete=models.PROTECT, related_name="+")
    fact = models.CharField(max_length=100, help_text="What the item showed when it was done (its selector's key).")
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    done_at = models.DateTimeField()
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reopened_at = models.DateTimeField(null=True, blank=True)

    objects = WorklistMarkQuerySet.as_manager()

    class Meta:
        ordering = ["-done_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "case", "fact"], condition=models.Q(reopened_at__isnull=True),
                name="one_worklist_mark_in_force",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} done on case {self.case_id} at {self.done_at:%Y-%m-%d %H:%M}"
