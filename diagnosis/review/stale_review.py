"""A review form answered against the case as it was when the form was opened.

The form (and an API client) carries the case's review version: how many reviews the case had when it was read
(0: none; the number of the review in force otherwise, as the API numbers them). A review recorded meanwhile by
anyone changes it, and the submission is refused ("not saved", naming who reviewed and when) instead of silently
superseding a decision its author never saw. A colleague who took the case over is refused by the claim
(claims.ClaimHeld) before this check."""

from django.utils import timezone

from dermplatform.api.errors import StateConflict
from diagnosis.models import Review
from patients.models import Case


def review_version(case: Case) -> int:
    """The case's review version: the number of reviews made (the latest is the one in force)."""
    return Review.objects.filter(case=case).count()


def review_version_check(*, case: Case, seen: int | None) -> None:
    """Inside review_submit's transaction (the case row is locked): refuse a submission made against an older
    version of the case's reviews. `seen` None: the caller declared no version (nothing to compare)."""
    if seen is None:
        return
    current = review_version(case)
    if int(seen) == current:
        return
    latest = case.reviews.filter(superseded_by__isnull=True).select_related("reviewer").first()
    raise ReviewStale(case, latest, current)


def reviewer_name(review: Review) -> str:
    return review.reviewer.get_full_name() or review.reviewer.get_username()


class ReviewStale(StateConflict):
    """A review was recorded after the form was opened: the message names who and what; the API answers 409."""

    def __init__(self, case: Case, review: Review | None, version: int):
        self.case = case
        self.review = review
        self.version = version
        if review is None:  # a version from elsewhere (reviews are never deleted)
            text = "Not saved: the case's reviews are not the ones you read. Read it again and record your review."
        else:
            decided = review.get_diagnosis_display() + (f", plan {review.plan_text}" if review.plan else "")
            text = (
                f"Not saved: {reviewer_name(review)} recorded a review of this case at "
                f"{timezone.localtime(review.created_at):%H:%M %Z} ({decided}) after you opened it. "
                "Read it below; your text is kept: record it again to replace their review."
            )
        super().__init__(text, code="stale")
