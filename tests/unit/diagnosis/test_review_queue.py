"""The review queue: melanoma-flagged cases first, then malignancy-flagged, then cases with an image the AI
could not assess, then the rest; within a group the highest risk first, then the longest waiting."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from diagnosis.inference import services
from diagnosis.models import ModelVersion, Prediction
from diagnosis.review import queue as review_queue_reads
from diagnosis.triage import triage_refresh
from patients import services as patient_services
from patients.models import Case, CaseStatus
from tests.factories import CaseFactory, PatientFactory
from tests.images import jpeg_bytes, upload

pytestmark = pytest.mark.django_db


def new_case(staff, images=1, waited_hours=0):
    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    files = [upload(jpeg_bytes(seed=seed)) for seed in range(images)]
    patient_services.images_upload(case=case, files=files, uploaded_by=staff)
    Case.objects.filter(pk=case.pk).update(created_at=timezone.now() - timedelta(hours=waited_hours))
    case.refresh_from_db()
    return case


def test_flagged_case_comes_before_an_unflagged_one_that_waited_longer(staff, dermatologist_client, model_variant):
    older = new_case(staff, waited_hours=48)
    newer = new_case(staff)
    model_variant(mel=1.01, malignant=1.01)  # never flags
    services.image_classify(image_id=older.images.get().pk)
    model_variant(mel=0.0, malignant=0.0)  # always flags
    services.image_classify(image_id=newer.images.get().pk)

    response = dermatologist_client.get(reverse("diagnosis:queue"))
    cases = list(response.context["page"].object_list)
    assert cases == [newer, older]
    assert [case.flag for case in cases] == ["mel", "none"]
    content = response.content.decode()
    # The queue page shows each case's flag.
    assert content.index("suspicious for melanoma") < content.index("not flagged")
    assert content.count('data-testid="queue-flag"') == 2


@pytest.fixture
def version(db):
    return ModelVersion.objects.create(name="test", sha256="c" * 64, directory="/nowhere", classes=["mel", "nv"])


def predict(version, image, *, risk, mel=None, malignant=None, assessable=True):
    probabilities = {"mel": risk, "nv": 1 - risk}
    return Prediction.objects.create(
        image=image, model_version=version, probabilities=probabilities, top_class=max(probabilities, key=probabilities.get),
        confidence=max(probabilities.values()), malignancy_risk=risk, mel_score=risk, duration_ms=1,
        mel_flag=mel, mel_threshold=None if mel is None else 0.5,
        malignant_flag=malignant, malignant_threshold=None if malignant is None else 0.5,
        assessable=assessable, not_assessable_reason="" if assessable else "too dark to judge",
    )


def awaiting_review(case):
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.AWAITING_REVIEW)
    triage_refresh(case_ids=[case.pk])  # what the services do after an AI opinion
    return case


def test_queue_orders_by_flag_group_then_risk_then_waiting_time(staff, dermatologist, dermatologist_client, version):
    def case_with(predictions, waited_hours):
        case = new_case(staff, images=len(predictions), waited_hours=waited_hours)
        for image, kwargs in zip(case.images.all(), predictions):
            predict(version, image, **kwargs)
        return awaiting_review(case)

    no_flag = dict(mel=False, malignant=False)
    mel_low_risk = case_with([dict(risk=0.10, mel=True, malignant=False)], waited_hours=1)
    mel_with_refused_image = case_with(
        [dict(risk=0.05, mel=True, malignant=True), dict(risk=0.99, mel=True, malignant=True, assessable=False)], 2
    )
    malignant = case_with([dict(risk=0.20, mel=False, malignant=True)], waited_hours=3)
    # A refused image's "flags" are no opinion: this case waits in the not-assessable group.
    refused = case_with([dict(risk=0.90, mel=True, malignant=True, assessable=False)], waited_hours=4)
    no_operating_point = case_with([dict(risk=0.95)], waited_hours=5)
    unflagged_old = case_with([dict(risk=0.80, **no_flag)], waited_hours=50)
    unflagged_new = case_with([dict(risk=0.80, **no_flag)], waited_hours=6)
    unflagged_low = case_with([dict(risk=0.30, **no_flag)], waited_hours=100)

    queue = list(review_queue_reads.review_queue(user=dermatologist))
    assert queue == [
        mel_low_risk, mel_with_refused_image,  # highest risk first within the group
        malignant,
        refused,
        no_operating_point, unflagged_old, unflagged_new, unflagged_low,  # same risk: the longest waiting first
    ]
    assert [case.flag for case in queue] == [
        "mel", "mel", "malignant", "not_assessable", "unavailable", "none", "none", "none",
    ]
    risks = {case: case.risk for case in queue}
    assert risks[refused] is None  # risk of assessable images only
    assert risks[mel_with_refused_image] == pytest.approx(0.05)

    content = dermatologist_client.get(reverse("diagnosis:queue")).content.decode()
    assert content.count('data-flag="not_assessable"') == 1 and content.count('data-flag="mel"') == 2
