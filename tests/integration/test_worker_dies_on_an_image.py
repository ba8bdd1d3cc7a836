"""An image that kills the worker every time it is classified (out of memory, a crash in native code) is not
delivered for ever: each solitary start counts as an attempt, and after DERM_AI_MAX_ATTEMPTS the image is
failed with the reason, while the case's other images reach the review uncharged. Real prefork worker, PostgreSQL and Redis."""

import re
import time

import pytest

from diagnosis.models import ClassificationJob, Prediction
from patients import services
from patients.models import CaseStatus
from tests import faults
from tests.factories import CaseFactory, PatientFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_an_image_that_kills_the_worker_each_time_fails_after_n_deliveries(
    pipeline, staff, staff_client, active_model, settings, request
):
    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    pipeline.redis.client()  # nothing consumes yet: the upload's messages wait
    first, doomed, *others = services.images_upload(case=case, files=faults.lesion_uploads(4), uploaded_by=staff)
    started = time.monotonic()
    worker = pipeline.worker(
        pool="prefork", name="crashing-worker", app="tests.crash_worker",
        env={"DERM_TEST_CRASH_IMAGE_ID": str(doomed.pk)},
    )

    def settled():
        return Prediction.objects.filter(image__case=case).count() == 3 and ClassificationJob.objects.filter(
            image=doomed, failed_at__isnull=False
        ).exists()

    # Up to four deaths, each followed by a fresh pool process that loads and warms the model (up to ~30 s on a
    # loaded machine).
    assert faults.wait_for(settled, timeout=240, step=0.5), pipeline.logs()
    took = time.monotonic() - started
    deaths = len(set(re.findall(r"exited prematurely: exitcode 137 Job: (\d+)", worker.log_tail(10**7))))
    job = ClassificationJob.objects.get(image=doomed)
    faults.report(request, "worker dies on one image each time", images_queued=4, worker_deaths=deaths,
                  attempts=job.attempts, settled_s=f"{took:.0f}")
    assert job.attempts == settings.DERM_AI_MAX_ATTEMPTS == 3
    assert job.failure_reason == "the worker stopped while classifying it 3 times"
    # Three solitary tries died (the fourth delivery found the count and gave up without classifying), and the
    # batch pass it shared with the others, when the worker took it along: that death charged nobody.
    assert deaths in (3, 4)
    assert job.times_queued == 1  # the same message came back each time, nothing re-sent it
    assert not Prediction.objects.filter(image=doomed).exists()
    for image in [first, *others]:
        assert [p.model_version_id for p in image.predictions.all()] == [active_model.pk]
        # Queued together, they may have shared its first pass (a batch): each was then tried again alone, with
        # the attempt the batch counted; the neighbour's death charged them nothing.
        assert image.ai_job.attempts == 1 and not image.ai_job.failed
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_REVIEW
    page = staff_client.get(case.get_absolute_url()).content.decode()
    assert "AI failed: the worker stopped while classifying it 3 times" in page and "(3 attempts)" in page
