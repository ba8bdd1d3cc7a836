"""Images the AI still owes a result, when such a wait counts as "delayed", and when staff may ask the AI again.

One place for all three, so that the sweep, the case page, the API, needs-attention and the retry service agree:
what the page offers (Retry AI) is exactly what the service accepts.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from diagnosis.inference.model_registry import model_version_active
from diagnosis.models import ClassificationJob, Prediction
from patients.models import Case, CaseStatus, LesionImage

FIRST_PASS = [CaseStatus.AWAITING_AI, CaseStatus.AI_FAILED]
# A case in review keeps its place while staff's retry runs: only its images with no prediction at all wait (an
# older model's predictions on a reviewed case are not done again).
IN_REVIEW = [CaseStatus.AWAITING_REVIEW, CaseStatus.REVIEWED]


def images_waiting(*, include_failed: bool = False):
    """Images of open cases still waiting for the AI (with `include_failed`, also those it gave up on), annotated
    with `waiting_since`: the upload, or staff's last retry."""
    version = model_version_active()
    by_active = Exists(Prediction.objects.filter(image=OuterRef("pk"), model_version=version))
    by_any = Exists(Prediction.objects.filter(image=OuterRef("pk")))
    images = LesionImage.objects.filter(case__archived_at__isnull=True).filter(
        (Q(case__status__in=FIRST_PASS) & ~by_active) | (Q(case__status__in=IN_REVIEW) & ~by_any)
    )
    if not include_failed:
        images = images.exclude(ai_job__failed_at__isnull=False)
    return images.annotate(waiting_since=Coalesce("ai_job__retried_at", "uploaded_at"))


def delayed_before(now=None):
    """Images waiting since before this moment are delayed (DERM_AI_DELAYED_SECONDS)."""
    return (now or timezone.now()) - timedelta(seconds=settings.DERM_AI_DELAYED_SECONDS)


def images_delayed(*, now=None):
    """Images waiting for the AI longer than DERM_AI_DELAYED_SECONDS, longest waiting first."""
    return images_waiting().filter(waiting_since__lt=delayed_before(now)).order_by("waiting_since", "pk")


def case_images_delayed(*, case) -> list[LesionImage]:
    """The case's delayed images (the case was scoped by the caller)."""
    return list(images_delayed().filter(case=case))


def case_slow_at(*, case):
    """When the case's longest-waiting image passes DERM_AI_SLOW_SECONDS ("slower than usual"), or None when
    nothing of it waits for the AI."""
    since = images_waiting().filter(case=case).order_by("waiting_since").values_list("waiting_since", flat=True).first()
    return since + timedelta(seconds=settings.DERM_AI_SLOW_SECONDS) if since else None


def cases_delayed(cases):
    """Those of `cases` (a scoped queryset) with a delayed image."""
    return cases.filter(pk__in=images_delayed().values("case_id"))


def case_retry_allowed(case: Case) -> bool:
    """Staff may ask the AI again: an open case the AI failed on entirely, one in review with images it gave up on,
    or one with images waiting longer than DERM_AI_DELAYED_SECONDS (their task may be lost)."""
    if case.is_archived:
        return False
    if case.status == CaseStatus.AI_FAILED:
        return True
    if case.status == CaseStatus.AWAITING_REVIEW and ClassificationJob.objects.filter(
        image__case=case, failed_at__isnull=False
    ).exclude(image__predictions__model_version=model_version_active()).exists():
        return True
    return images_delayed().filter(case=case).exists()


def case_images_to_retry(*, case) -> list[int]:
    """Ids of the images a retry sends: those of the case the AI gave up on or still owes (never a classified
    one: the predictions already made, and the reviews of them, stay as they are)."""
    return list(images_waiting(include_failed=True).filter(case=case).order_by("pk").values_list("pk", flat=True))
