"""A hung Redis (accepts connections, never answers: frozen, or a network partition on a pooled connection) is
met like a refused one: the upload answers 201 within seconds with the image stored, the sweep sends it once
the broker answers again, and /healthz says the broker is the part that failed.

The broker is a real listening socket on 127.0.0.1 that this process's Celery app (the web side) publishes to,
with the socket timeouts of the settings: no client is mocked.
"""

import time

import pytest
from django.test import Client
from rest_framework.test import APIClient

from dermplatform.celery import app
from diagnosis.inference import broker
from diagnosis.models import ClassificationJob
from diagnosis.tasks import requeue_unclassified
from patients.models import CaseStatus
from tests import faults
from tests.factories import CaseFactory, PatientFactory
from tests.images import jpeg_bytes, upload

pytestmark = [pytest.mark.integration, pytest.mark.timed, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def case(staff, active_model):
    return CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)


def test_upload_with_a_hung_broker_answers_at_once_and_the_sweep_sends_it_once_redis_answers(
    private_redis, case, staff, request
):
    api = APIClient()
    api.force_authenticate(staff)
    with faults.HungBroker() as hung, faults.celery_app_on(app, hung.url):
        started = time.monotonic()
        response = api.post(
            f"/api/cases/{case.public_id}/images/",
            {"images": [upload(jpeg_bytes(seed=s), f"l{s}.jpg") for s in (1, 2)]},
            format="multipart",
        )
        answered_in = time.monotonic() - started
        assert hung.accepted, "the upload never reached the hung broker"
        # The sweep meets the hung broker too: it gives up at once, sending nothing.
        assert requeue_unclassified(grace_seconds=0) == 0
    faults.report(request, "hung broker at upload", upload_answered_s=f"{answered_in:.2f}")
    assert response.status_code == 201, response.content
    assert answered_in < 3, f"the upload took {answered_in:.1f} s"
    images = list(case.images.all())
    assert len(images) == 2 and len(response.json()["images"]) == 2
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_AI
    # Nothing went to the queue, and the jobs say so: no fresh queued_at for the sweep to wait on.
    assert not ClassificationJob.objects.filter(image__in=images, times_queued__gt=0).exists()

    # Redis answers again (the private one): the next sweep sends both, once each.
    assert requeue_unclassified(grace_seconds=0) == 2
    assert broker.queued_image_ids(app) == {image.pk for image in images}
    assert sorted(ClassificationJob.objects.filter(image__in=images).values_list("times_queued", flat=True)) == [1, 1]


def test_healthz_names_the_broker_when_it_hangs_or_refuses_and_says_ok_when_it_answers(private_redis):
    client = Client()
    assert client.get("/healthz").json() == {
        "status": "ok", "checks": {"database": "ok", "broker": "ok", "scheduler": "ok"},
    }

    with faults.HungBroker() as hung, faults.celery_app_on(app, hung.url):
        started = time.monotonic()
        response = client.get("/healthz")
        answered_in = time.monotonic() - started
        assert hung.accepted
    assert response.status_code == 503
    assert response.json() == {
        "status": "degraded", "checks": {"database": "ok", "broker": "unavailable", "scheduler": "ok"},
    }
    assert answered_in < 3, f"/healthz took {answered_in:.1f} s"

    with faults.celery_app_on(app, f"redis://127.0.0.1:{faults.free_port()}/0"):  # nothing listens: refused
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "unavailable", "scheduler": "ok"}
