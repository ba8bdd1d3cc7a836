"""An upload while Redis is unreachable answers 201 at once with the stored images; they are classified once
Redis is back, by the sweep alone (nobody acts)."""

import time

import pytest
from rest_framework.test import APIClient

from diagnosis.models import Prediction
from patients.models import CaseStatus
from tests import faults
from tests.factories import CaseFactory, PatientFactory
from tests.images import jpeg_bytes, upload

pytestmark = [pytest.mark.integration, pytest.mark.timed, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def case(staff, active_model):
    return CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)


def test_upload_with_the_broker_down_answers_at_once_and_is_classified_once_it_is_back(
    pipeline, case, staff, active_model, request
):
    pipeline.worker()
    pipeline.beat()
    api = APIClient()
    api.force_authenticate(staff)

    pipeline.redis.stop()
    started = time.monotonic()
    response = api.post(
        f"/api/cases/{case.public_id}/images/",
        {"images": [upload(jpeg_bytes(seed=s), f"l{s}.jpg") for s in (1, 2, 3)]},
        format="multipart",
    )
    answered_in = time.monotonic() - started
    assert response.status_code == 201, response.content
    assert answered_in < 2, f"the upload took {answered_in:.1f} s"
    assert len(response.json()["images"]) == 3
    images = list(case.images.all())
    assert len(images) == 3

    time.sleep(5)  # the outage goes on for a while
    pipeline.redis.start()
    back = time.monotonic()
    done = faults.wait_for(lambda: Prediction.objects.filter(image__case=case).count() == 3, timeout=120)
    recovery = time.monotonic() - back
    faults.report(
        request, "broker down during upload", **faults.outcome(images), upload_answered_s=f"{answered_in:.2f}",
        recovery_s=f"{recovery:.0f}",
    )
    assert done, pipeline.logs()
    for image in images:
        assert image.predictions.get().model_version == active_model
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_REVIEW
    # Recorded when and how often each image went to the queue: once, by the sweep.
    assert sorted(image.ai_job.times_queued for image in case.images.select_related("ai_job")) == [1, 1, 1]
