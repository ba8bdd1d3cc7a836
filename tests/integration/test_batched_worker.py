"""A deep queue is drained in batches: a real worker, Redis and PostgreSQL; each queued image ends with exactly one
prediction, the messages of images classified along in a batch leave the queue once their predictions are
committed (no delivery only to acknowledge), and a re-delivered task adds nothing."""

import re

import pytest

from diagnosis.inference import enqueue as diagnosis_services
from diagnosis.models import ClassificationJob, Prediction
from patients import services
from tests import faults
from tests.factories import CaseFactory, PatientFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _queued(redis_client) -> int:
    return sum(redis_client.llen(key) for key in redis_client.keys("inference*")) + redis_client.hlen("unacked")


def test_a_backlog_is_classified_in_batches_with_one_prediction_per_image(pipeline, staff, active_model, settings):
    images = []
    for offset in (0, 20):
        case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
        images += services.images_upload(case=case, files=faults.lesion_uploads(20, offset), uploaded_by=staff)
    redis_client = pipeline.redis.client()
    assert _queued(redis_client) == 40  # nothing consumes yet: the whole backlog waits

    worker = pipeline.worker(pool="solo", name="batching-worker")

    def drained():
        return Prediction.objects.filter(image__in=images).count() == 40 and _queued(redis_client) == 0

    assert faults.wait_for(drained, timeout=120, step=0.5), pipeline.logs()
    log = worker.log_tail(10**7)
    passes = [int(n) for n in re.findall(r"classified (\d+) images in one pass", log)]
    assert passes and max(passes) <= settings.DERM_AI_BATCH_SIZE
    assert sum(passes) >= 20, passes  # most of the backlog went in batches, not one image per pass
    received = log.count("Task diagnosis.tasks.classify_image[")
    # One delivery per pass's first image, and at most one more per pass: the message the worker's consumer had
    # already fetched while the pass ran (it finds its prediction and is acknowledged).
    assert 40 - sum(n - 1 for n in passes) <= received <= 40 - sum(n - 1 for n in passes) + len(passes)
    for image in images:
        assert [p.model_version_id for p in image.predictions.all()] == [active_model.pk]
        job = ClassificationJob.objects.get(image=image)
        assert job.attempts == 1 and job.times_queued == 1 and not job.failed

    # Every task is sent again (a sweep that misjudged, a restored message): nothing is added.
    assert diagnosis_services.images_enqueue(image_ids=[i.pk for i in images]) == 40
    assert faults.wait_for(lambda: _queued(redis_client) == 0, timeout=60, step=0.5), pipeline.logs()
    assert Prediction.objects.filter(image__in=images).count() == 40
    assert all(job.attempts == 1 for job in ClassificationJob.objects.filter(image__in=images))
