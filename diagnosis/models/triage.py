import uuid

from django.db import models


class CaseTriage(models.Model):
    """Where a case stands in the review queue, stored so that the queue reads one narrow, indexed table.

    Written by diagnosis.triage (after each AI opinion or failure, a review, a retry, and every save of the case),
    never by hand. The queue page then costs the same whatever the queue's length: its partial index gives the
    rows of a clinic already in queue order (flag group, highest risk, longest waiting) and keyset pagination
    walks it; the counts read that index alone.
    """

    case = models.OneToOneField("patients.Case", on_delete=models.CASCADE, primary_key=True, related_name="triage")
    # Copies of the case's own facts that the queue filters and orders by (a case never changes clinic).
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    public_id = models.UUIDField(default=uuid.uuid4, help_text="The case's public id: the keyset's last tie-breaker.")
    waiting_since = models.DateTimeField(help_text="When the case was opened (the queue's 'longest waiting').")
    waiting = models.BooleanField(default=False, help_text="Open and awaiting review.")
    flag = models.CharField(max_length=20, help_text="The case's flag group (diagnosis.models.prediction.Flag).")
    flag_rank = models.PositiveSmallIntegerField(help_text="0 melanoma, 1 malignancy, 2 not assessable, 3 the rest.")
    risk = models.FloatField(null=True, blank=True, help_text="Highest malignancy risk of its assessable images.")
    risk_sort = models.FloatField(
        help_text="-risk, or 1 without one: highest risk first (and none last) in ascending order, so that the "
        "keyset is one row comparison the index answers."
    )
    ai_failed = models.BooleanField(default=False, help_text="The AI gave up on at least one of its images.")

    class Meta:
        indexes = [
            models.Index(
                fields=["clinic", "flag_rank", "risk_sort", "waiting_since", "public_id"],
                condition=models.Q(waiting=True),
                name="queue_order",
            ),
        ]

    def __str__(self) -> str:
        return f"Triage of case {self.case_id}: {self.flag}"
