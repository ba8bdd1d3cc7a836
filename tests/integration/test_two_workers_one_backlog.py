"""Two workers on one backlog never pass the same image through the model: each pass claims its images in the
database first, and a worker whose task finds its image claimed by the other leaves it to that one (its message
comes back once the claim lapses, then only to be acknowledged). Real worker processes, PostgreSQL and Redis; the
passes are counted from the log each worker process writes as a pass starts (tests/pass_log_worker.py)."""

import os
import signal
from collections import Counter

import pytest

from diagnosis.models import ClassificationJob, Prediction
from patients import services
from tests import faults
from tests.factories import CaseFactory, PatientFactory
from tests.pass_log_worker import passes

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_two_workers_on_one_backlog_pass_each_image_through_the_model_once(
    pipeline, staff, active_model, tmp_path, request
):
    log = tmp_path / "passes.log"
    # A batch pass lasts 2 s more: the other worker meets the images of a batch in flight (as on a slow CPU).
    env = {"DERM_TEST_PASS_LOG": str(log), "DERM_TEST_BATCH_PAUSE": "2"}
    workers = [pipeline.worker(name=f"worker-{n}", app="tests.pass_log_worker", env=env) for n in (1, 2)]
    for worker in workers:
        os.kill(worker.proc.pid, signal.SIGSTOP)  # both idle until the whole backlog is queued, then both at once
    try:
        images = []
        for offset in (0, 20):
            case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
            images += services.images_upload(case=case, files=faults.lesion_uploads(20, offset), uploaded_by=staff)
    finally:
        for worker in workers:
            os.kill(worker.proc.pid, signal.SIGCONT)

    def classified():
        return Prediction.objects.filter(image__in=images).values("image").distinct().count()

    assert faults.wait_for(lambda: classified() == 40, timeout=120, step=0.5), pipeline.logs()
    done = passes(log)
    per_image = Counter(i for _, ids in done for i in ids)
    per_worker = Counter(pid for pid, ids in done for _ in ids)
    faults.report(request, "two workers on a backlog of 40", model_passes_per_image=dict(Counter(per_image.values())),
                  images_per_worker=sorted(per_worker.values()), passes=len(done))
    assert len(per_worker) == 2, done  # both workers classified part of it
    assert per_image == {image.pk: 1 for image in images}, done
    assert Prediction.objects.filter(image__in=images).count() == 40
    assert not ClassificationJob.objects.filter(image__in=images, failed_at__isnull=False).exists()
