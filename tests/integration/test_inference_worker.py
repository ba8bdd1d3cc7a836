"""Upload → Redis → a real Celery worker holding the model → prediction written back to the case."""

import time

import pytest
from django.db import transaction

from diagnosis.models import Prediction
from diagnosis.review import queue
from diagnosis.tasks import requeue_unclassified
from patients import services
from patients.models import CaseStatus
from tests.factories import CaseFactory, DermatologistFactory, PatientFactory
from tests.images import jpeg_bytes, upload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _wait_for(condition, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


@pytest.fixture
def case(staff, active_model):
    return CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)


def test_uploaded_images_are_classified_by_the_worker(celery_worker_process, case, staff, active_model):
    stored = services.images_upload(
        case=case, files=[upload(jpeg_bytes(seed=11)), upload(jpeg_bytes(seed=12, color=(40, 30, 30)))], uploaded_by=staff
    )
    assert _wait_for(lambda: Prediction.objects.filter(image__case=case).count() == 2), celery_worker_process.log_path.read_text()[-3000:]
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_REVIEW
    for image in stored:
        prediction = image.predictions.get()
        assert prediction.model_version == active_model
        assert len(prediction.probabilities) == 7 and prediction.heatmap
    # The worker placed the case in the review queue with its stored flag and risk (diagnosis.triage).
    (waiting,) = queue.queue_page(user=DermatologistFactory(clinic=staff.clinic)).object_list
    risks = [p.malignancy_risk for p in Prediction.objects.filter(image__case=case, assessable=True)]
    assert waiting == case and waiting.risk == pytest.approx(max(risks) if risks else None)


def test_a_lost_message_is_queued_again(celery_worker_process, case, staff, active_model):
    # The upload commits but its message never reaches the worker, as when Redis restarts
    # without persistence: drop the after-commit callbacks before the commit.
    with transaction.atomic():
        (image,) = services.images_upload(case=case, files=[upload(jpeg_bytes(seed=13))], uploaded_by=staff)
        transaction.get_connection().run_on_commit.clear()
    time.sleep(2)
    assert not Prediction.objects.filter(image=image).exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_AI

    assert requeue_unclassified(grace_seconds=0) == 1
    assert _wait_for(lambda: Prediction.objects.filter(image=image).exists()), celery_worker_process.log_path.read_text()[-3000:]
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_REVIEW
