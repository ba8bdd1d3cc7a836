"""A worker killed in the middle of a batch pass charges no image of the batch: nobody can tell which image (if
any) killed it, so each is tried again alone with the attempt the batch counted, and only an image whose solitary
try dies too is charged (tests/integration/test_worker_dies_on_an_image.py). Real prefork worker killed with
SIGKILL (main process and pool process, as the OOM killer would), PostgreSQL and Redis."""

from collections import Counter

import pytest

from diagnosis.models import ClassificationJob, Prediction
from patients import services
from tests import faults
from tests.factories import CaseFactory, PatientFactory
from tests.pass_log_worker import passes

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_kill_mid_batch_charges_no_image_of_the_batch(pipeline, staff, active_model, tmp_path, request):
    log = tmp_path / "passes.log"
    # A batch pass waits 30 s before the model runs (below the 50 s soft time limit): the window for the kill.
    env = {"DERM_TEST_PASS_LOG": str(log), "DERM_TEST_BATCH_PAUSE": "30"}
    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    images = services.images_upload(case=case, files=faults.lesion_uploads(16), uploaded_by=staff)
    worker = pipeline.worker(pool="prefork", name="worker-0", app="tests.pass_log_worker", env=env)

    def batch_in_flight():
        return [ids for _, ids in passes(log) if len(ids) > 1]

    assert faults.wait_for(batch_in_flight, timeout=60, step=0.2), pipeline.logs()
    batch = batch_in_flight()[0]
    worker.kill_hard()
    pipeline.worker(pool="prefork", name="worker-1", app="tests.pass_log_worker", env=env)

    def classified():
        return Prediction.objects.filter(image__in=images).values("image").distinct().count()

    # The killed worker's own message comes back after the 75 s visibility timeout.
    assert faults.wait_for(lambda: classified() == 16, timeout=180, step=0.5), pipeline.logs()
    attempts = {job.image_id: job.attempts for job in ClassificationJob.objects.filter(image__in=images)}
    alone_after = Counter(ids[0] for ids in [ids for _, ids in passes(log)][1:] if len(ids) == 1)
    faults.report(request, "worker SIGKILLed mid-batch", batch=len(batch),
                  attempts_per_image=dict(Counter(attempts.values())),
                  charged_by_the_kill=sum(n - 1 for n in attempts.values()))
    assert len(batch) >= 8, batch  # most of the backlog was in the pass that was killed
    assert set(attempts.values()) == {1}, attempts  # the batch's one count; the kill charged nobody
    assert not ClassificationJob.objects.filter(image__in=images, failed_at__isnull=False).exists()
    for image_id in batch:
        assert alone_after[image_id] == 1, passes(log)  # tried again alone, once
    assert Prediction.objects.filter(image__in=images).count() == 16
