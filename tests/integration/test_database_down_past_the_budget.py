"""PostgreSQL down for longer than the tasks' database retry budget: no message is acknowledged with its image
unmarked. A task past its budget fails the image with the reason when the database answers that, and otherwise
keeps its message and tries again (every DERM_AI_RETRY_MAX_DELAY): once PostgreSQL is back every image is
classified or visibly failed, with no scheduler running (nothing but the tasks themselves brings an image back).
A real `pg_ctl stop -m fast` under a real worker; a small budget (2 retries, waits of at most 2 s) keeps it short."""

import os
import re
import signal
import time

import pytest

from dermplatform.celery import app
from diagnosis.inference import broker
from diagnosis.models import ClassificationJob, Prediction
from patients import services
from tests import faults
from tests.factories import CaseFactory, PatientFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def private_postgres():
    server = faults.PrivatePostgres()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()


def test_a_database_down_past_the_retry_budget_strands_no_image(private_postgres, pipeline, tiny_model_dir, request):
    from django.core.management import call_command
    from django.db import OperationalError, connection

    from diagnosis.inference.model_registry import model_version_register
    from tests.factories import ClinicFactory, StaffFactory

    name = "dermplatform_outage"
    private_postgres.create_database(name)
    env = {"DATABASE_URL": private_postgres.url(name), "DERM_AI_DB_RETRIES": "2", "DERM_AI_RETRY_MAX_DELAY": "2"}
    with faults.django_database_on(private_postgres, name):
        call_command("migrate", verbosity=0)
        staff = StaffFactory(clinic=ClinicFactory())
        model_version_register(directory=tiny_model_dir, activate=True)
        worker = pipeline.worker(name="worker", env=env)  # no beat
        os.kill(worker.proc.pid, signal.SIGSTOP)  # the upload's messages wait until the database is gone
        try:
            case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
            images = services.images_upload(case=case, files=faults.lesion_uploads(4), uploaded_by=staff)
            ids = {image.pk for image in images}
            private_postgres.stop()
        finally:
            os.kill(worker.proc.pid, signal.SIGCONT)
        down = time.monotonic()

        def out_of_budget() -> set[int]:
            found = re.findall(r"image (\d+): database unavailable after \d+ retries", worker.log_tail(10**7))
            return {int(i) for i in found} & ids

        assert faults.wait_for(lambda: out_of_budget() == ids, timeout=120, step=0.5), pipeline.logs()
        time.sleep(5)  # beyond the budget, several more tries
        held = broker.queued_image_ids(app)  # what the broker still holds for them (queued, or kept by the worker)
        private_postgres.start()
        outage = time.monotonic() - down
        connection.close()  # this process's connection died with the server too

        def settled() -> int:
            try:
                classified = set(Prediction.objects.filter(image__in=ids).values_list("image_id", flat=True))
                failed = set(ClassificationJob.objects.filter(image__in=ids, failed_at__isnull=False)
                             .exclude(failure_reason="").values_list("image_id", flat=True))
                return len(classified | failed)
            except OperationalError:
                connection.close()
                return -1

        back = time.monotonic()
        done = faults.wait_for(lambda: settled() == len(ids), timeout=90, step=0.5)
        classified = Prediction.objects.filter(image__in=ids).count()
        failed = ClassificationJob.objects.filter(image__in=ids, failed_at__isnull=False).exclude(failure_reason="")
        faults.report(request, "PostgreSQL down past the database retry budget (2 retries)",
                      images=len(ids), outage_s=f"{outage:.0f}", kept_in_broker=len(held & ids),
                      classified=classified, failed_with_reason=failed.count(),
                      settled_after_s=f"{time.monotonic() - back:.0f}")
        assert held >= ids, f"acknowledged while the database was down: {sorted(ids - held)}\n{pipeline.logs()}"
        assert done, f"{settled()} of {len(ids)} classified or failed\n{pipeline.logs()}"
