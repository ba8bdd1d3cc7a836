import io
import math

import pytest
from PIL import Image

from diagnosis.inference import enqueue
from diagnosis.inference import services as inference_services
from diagnosis.models import ClassificationJob, Prediction
from ml import MALIGNANT_CLASSES
from ml.card import file_sha256
from patients.models import CaseStatus

pytestmark = pytest.mark.django_db


def test_prediction_records_everything(uploaded_case, active_model, tiny_model_dir):
    image = uploaded_case.images.first()
    prediction = inference_services.image_classify(image_id=image.pk)
    assert set(prediction.probabilities) == set(active_model.classes)
    assert math.isclose(sum(prediction.probabilities.values()), 1.0, abs_tol=1e-4)
    assert prediction.top_class == max(prediction.probabilities, key=prediction.probabilities.get)
    assert prediction.confidence == prediction.probabilities[prediction.top_class]
    assert math.isclose(prediction.malignancy_risk, sum(prediction.probabilities[c] for c in MALIGNANT_CLASSES))
    assert prediction.model_version.sha256 == file_sha256(tiny_model_dir / "model.keras")
    assert prediction.duration_ms >= 0
    with prediction.heatmap.open("rb") as handle:
        assert Image.open(io.BytesIO(handle.read())).format == "PNG"


def test_case_waits_for_every_image(uploaded_case, active_model):
    first, second = uploaded_case.images.all()
    inference_services.image_classify(image_id=first.pk)
    uploaded_case.refresh_from_db()
    assert uploaded_case.status == CaseStatus.AWAITING_AI
    inference_services.image_classify(image_id=second.pk)
    uploaded_case.refresh_from_db()
    assert uploaded_case.status == CaseStatus.AWAITING_REVIEW


def test_redelivered_task_adds_nothing(uploaded_case, active_model):
    image = uploaded_case.images.first()
    first = inference_services.image_classify(image_id=image.pk)
    again = inference_services.image_classify(image_id=image.pk)
    assert again.pk == first.pk
    assert Prediction.objects.filter(image=image).count() == 1


def test_image_gone_is_not_an_error(active_model):
    assert inference_services.image_classify(image_id=987654321) is None


def test_predictions_are_never_edited(uploaded_case, active_model):
    from django.core.exceptions import ValidationError

    prediction = inference_services.image_classify(image_id=uploaded_case.images.first().pk)
    prediction.top_class = "nv"
    with pytest.raises(ValidationError):
        prediction.save()


def test_failure_is_per_image(uploaded_case, active_model):
    first, second = uploaded_case.images.all()
    job = inference_services.image_classification_failed(image_id=first.pk, error="boom")
    assert job.failed and job.failure_reason == "boom" and job.attempts == 1
    uploaded_case.refresh_from_db()
    assert uploaded_case.status == CaseStatus.AWAITING_AI  # the other image is still on its way
    inference_services.image_classify(image_id=second.pk)
    uploaded_case.refresh_from_db()
    assert uploaded_case.status == CaseStatus.AWAITING_REVIEW
    assert inference_services.image_classify(image_id=first.pk) is None  # given up: a late copy of its task does nothing


def test_every_image_failed_fails_the_case(uploaded_case, active_model):
    for image in uploaded_case.images.all():
        inference_services.image_classification_failed(image_id=image.pk, error="boom")
    uploaded_case.refresh_from_db()
    assert uploaded_case.status == CaseStatus.AI_FAILED


def test_an_image_fails_after_max_attempts(uploaded_case, active_model, settings):
    settings.DERM_AI_MAX_ATTEMPTS = 3
    image = uploaded_case.images.first()
    for attempt in (1, 2):
        job = inference_services.image_attempt_failed(image_id=image.pk, error="boom")
        assert job.attempts == attempt and not job.failed
    job = inference_services.image_attempt_failed(image_id=image.pk, error="still boom")
    assert job.attempts == 3 and job.failed and job.failure_reason == "still boom"


def test_a_classified_image_is_not_failed_by_a_late_copy(uploaded_case, active_model):
    image = uploaded_case.images.first()
    inference_services.image_classify(image_id=image.pk)
    assert inference_services.image_classification_failed(image_id=image.pk, error="late") is None


def test_lost_tasks_are_found_again(uploaded_case, active_model):
    from datetime import timedelta

    from django.utils import timezone

    from diagnosis.inference.selectors import images_awaiting_classification

    now = timezone.now()
    assert set(images_awaiting_classification(queued_before=now)) == set(uploaded_case.images.all())
    first, second = uploaded_case.images.all()
    inference_services.image_classify(image_id=first.pk)
    assert list(images_awaiting_classification(queued_before=now)) == [second]
    assert not images_awaiting_classification(queued_before=now - timedelta(hours=1)).exists()
    # Queued again just now: not due until the grace has passed.
    ClassificationJob.objects.create(image=second, queued_at=now, times_queued=2)
    assert not images_awaiting_classification(queued_before=now - timedelta(seconds=1)).exists()
    assert list(images_awaiting_classification(queued_before=now + timedelta(seconds=1))) == [second]
    inference_services.image_classification_failed(image_id=second.pk, error="boom")
    assert not images_awaiting_classification(queued_before=now + timedelta(seconds=1)).exists()


def test_retry_queues_only_unclassified_images(uploaded_case, active_model, staff, django_capture_on_commit_callbacks):
    first = uploaded_case.images.first()
    inference_services.image_classify(image_id=first.pk)
    second = uploaded_case.images.exclude(pk=first.pk).get()
    inference_services.image_classification_failed(image_id=second.pk, error="boom")
    uploaded_case.refresh_from_db()
    assert uploaded_case.status == CaseStatus.AWAITING_REVIEW  # the first image's opinion goes to review
    with django_capture_on_commit_callbacks() as callbacks:
        assert enqueue.case_retry_classification(case=uploaded_case, user=staff) == 1
    assert len(callbacks) == 1
    uploaded_case.refresh_from_db()
    assert uploaded_case.status == CaseStatus.AWAITING_REVIEW  # keeps its place in the queue (issue 20, item 6)
    second.ai_job.refresh_from_db()
    assert not second.ai_job.failed and second.ai_job.attempts == 0  # a fresh start


def test_retry_with_everything_classified_moves_to_review(uploaded_case, active_model, staff):
    for image in uploaded_case.images.all():
        inference_services.image_classify(image_id=image.pk)
    uploaded_case.status = CaseStatus.AI_FAILED
    uploaded_case.save()
    assert enqueue.case_retry_classification(case=uploaded_case, user=staff) == 0
    uploaded_case.refresh_from_db()
    assert uploaded_case.status == CaseStatus.AWAITING_REVIEW


def test_archived_case_is_not_retried(uploaded_case, active_model, staff):
    from django.core.exceptions import ValidationError

    from patients.services import case_archive

    inference_services.image_classification_failed(image_id=uploaded_case.images.first().pk, error="boom")
    case_archive(case=uploaded_case, user=staff, reason="duplicate")
    with pytest.raises(ValidationError):
        enqueue.case_retry_classification(case=uploaded_case, user=staff)
