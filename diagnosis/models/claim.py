from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


def claim_idle_limit() -> timedelta:
    return timedelta(minutes=settings.DERM_CLAIM_IDLE_MINUTES)


class ReviewClaim(models.Model):
    """Who is reviewing a case now, so that two dermatologists do not review it at once.

    One row per case: taking a case over moves the row to the new holder. It lapses after
    DERM_CLAIM_IDLE_MINUTES without activity of its holder on the case, and goes when a review is recorded.
    A workflow marker, not a record: its history is in the audit trail (claim.take, claim.take_over, claim.release).
    """

    case = models.OneToOneField("patients.Case", on_delete=models.CASCADE, primary_key=True, related_name="review_claim")
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    claimed_at = models.DateTimeField()
    last_active_at = models.DateTimeField(help_text="The holder's last activity on the case: the idle time counts from here.")

    def __str__(self) -> str:
        return f"Claim of case {self.case_id} by {self.holder}"

    @property
    def expires_at(self):
        return self.last_active_at + claim_idle_limit()

    def is_active(self, now=None) -> bool:
        return (now or timezone.now()) < self.expires_at

    def is_held_by(self, user) -> bool:
        return self.holder_id == user.pk and self.is_active()

    @property
    def holder_name(self) -> str:
        return self.holder.get_full_name() or self.holder.get_username()
