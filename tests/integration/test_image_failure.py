"""Failure is per image: a stored image whose bytes are missing, or corrupt, fails alone, with its reason in plain
words (no exception text, no memory address) and attempt count, the case's other images reach the review, and the
sweep does not send it again."""

import pytest

from diagnosis.inference import failure_reasons
from diagnosis.models import ClassificationJob, Prediction
from diagnosis.tasks import requeue_unclassified
from patients import services
from patients.models import CaseStatus, StoredFile
from tests import faults
from tests.factories import CaseFactory, PatientFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def case(staff, active_model):
    return CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)


def test_a_missing_image_file_fails_that_image_alone(pipeline, case, staff, staff_client, active_model, settings):
    good, missing, corrupt = services.images_upload(
        case=case, files=faults.lesion_uploads(3), uploaded_by=staff
    )
    StoredFile.objects.filter(name=missing.image.name).delete()  # the bytes are gone (restored backup, bad S3 sync)
    StoredFile.objects.filter(name=corrupt.image.name).update(content=b"not an image any more" * 50)  # damaged
    pipeline.worker()

    def settled():
        return Prediction.objects.filter(image=good).exists() and ClassificationJob.objects.filter(
            image__in=[missing, corrupt], failed_at__isnull=False
        ).count() == 2

    assert faults.wait_for(settled, timeout=120), pipeline.logs()
    job = ClassificationJob.objects.get(image=missing)
    assert job.attempts == settings.DERM_AI_MAX_ATTEMPTS == 3
    assert job.failure_reason == job.last_error == failure_reasons.MISSING
    broken = ClassificationJob.objects.get(image=corrupt)
    assert broken.failure_reason == broken.last_error == "The stored image could not be read: upload it again"
    assert not Prediction.objects.filter(image=corrupt).exists()
    # The exception's text (UnidentifiedImageError, <_io.BytesIO object at 0x...>) is in the worker's log only.
    assert "UnidentifiedImageError" in pipeline.logs()
    assert job.times_queued == 1  # its retries were the task's own, not new messages
    assert not Prediction.objects.filter(image=missing).exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_REVIEW  # the other image's opinion is reviewed
    page = staff_client.get(case.get_absolute_url()).content.decode()
    assert f"AI failed: {failure_reasons.MISSING}" in page and "(3 attempts)" in page  # on that image
    assert "AI failed: The stored image could not be read: upload it again" in page
    assert "object at 0x" not in page and "UnidentifiedImageError" not in page
    assert "Awaiting AI" not in page

    # The sweep leaves a failed image alone, however long ago it was queued.
    assert requeue_unclassified(grace_seconds=0) == 0
    assert pipeline.redis.client().llen("inference") == 0
    job.refresh_from_db()
    assert job.times_queued == 1 and job.attempts == 3
