"""Failure is per image: a stored image whose bytes are missing fails alone, with its reason and attempt count,
the case's other images reach the review, and the sweep does not send it again."""

import pytest

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
    good, missing = services.images_upload(
        case=case, files=faults.lesion_uploads(2), uploaded_by=staff
    )
    StoredFile.objects.filter(name=missing.image.name).delete()  # the bytes are gone (restored backup, bad S3 sync)
    pipeline.worker()

    def settled():
        return Prediction.objects.filter(image=good).exists() and ClassificationJob.objects.filter(
            image=missing, failed_at__isnull=False
        ).exists()

    assert faults.wait_for(settled, timeout=90), pipeline.logs()
    job = ClassificationJob.objects.get(image=missing)
    assert job.attempts == settings.DERM_AI_MAX_ATTEMPTS == 3
    assert "stored image file is missing" in job.failure_reason
    assert job.times_queued == 1  # its retries were the task's own, not new messages
    assert not Prediction.objects.filter(image=missing).exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_REVIEW  # the other image's opinion is reviewed
    page = staff_client.get(case.get_absolute_url()).content.decode()
    assert "AI failed: stored image file is missing" in page and "(3 attempts)" in page  # on that image
    assert "Awaiting AI" not in page

    # The sweep leaves a failed image alone, however long ago it was queued.
    assert requeue_unclassified(grace_seconds=0) == 0
    assert pipeline.redis.client().llen("inference") == 0
    job.refresh_from_db()
    assert job.times_queued == 1 and job.attempts == 3
