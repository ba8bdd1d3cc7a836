"""Faults with a real worker, PostgreSQL and Redis: every image ends with exactly one prediction from the active
model within 2 minutes of the fault ending, no case is left waiting; each test reports its recovery time.

Production settings throughout (visibility timeout 75 s, sweep every 30 s with a 30 s grace): the figures are
the platform's, not the tests'. A tiny model: the pipeline is under test, not the model.
"""

import os
import signal
import time

import pytest

from diagnosis.models import ClassificationJob, Prediction
from patients import services
from patients.models import Case, CaseStatus, LesionImage
from tests import faults
from tests.factories import CaseFactory, PatientFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

RECOVERY_LIMIT = 120  # seconds after the fault ends


@pytest.fixture
def upload_cases(staff, active_model):
    """upload_cases(n): n images in cases of 20 (the most one upload takes), stored and queued."""

    def make(n):
        images = []
        for offset in range(0, n, 20):
            case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
            images += services.images_upload(case=case, files=faults.lesion_uploads(min(20, n - offset), offset), uploaded_by=staff)
        return images

    return make


def _classified(images) -> int:
    return Prediction.objects.filter(image__in=images).values("image").distinct().count()


def _recover(pipeline, images, fault_ended) -> float:
    done = faults.wait_for(lambda: _classified(images) == len(images), timeout=RECOVERY_LIMIT + 30, step=1)
    recovery = time.monotonic() - fault_ended
    assert done, f"{_classified(images)} of {len(images)} classified\n{pipeline.logs()}"
    return recovery


def _check_the_end(images, active_model, recovery):
    for image in LesionImage.objects.filter(pk__in=[i.pk for i in images]):
        assert [p.model_version_id for p in image.predictions.all()] == [active_model.pk]
    cases = Case.objects.filter(images__in=images).distinct()
    assert not cases.exclude(status=CaseStatus.AWAITING_REVIEW).exists()
    assert recovery < RECOVERY_LIMIT, f"recovered in {recovery:.0f} s"


def test_worker_killed_three_times_under_a_backlog(pipeline, upload_cases, active_model, request):
    pipeline.beat()
    worker = pipeline.worker(pool="prefork", name="worker-0")
    images = upload_cases(60)
    for kill in range(1, 4):
        before = _classified(images)
        assert faults.wait_for(lambda: _classified(images) >= before + 2, timeout=60, step=0.1), pipeline.logs()
        worker.kill_hard()  # main process and its pool child: the message it held stays unacknowledged
        worker = pipeline.worker(pool="prefork", name=f"worker-{kill}")
    fault_ended = time.monotonic()  # a worker serves again
    recovery = _recover(pipeline, images, fault_ended)
    faults.report(request, "worker SIGKILLed x3 (main + child) under 60 queued", **faults.outcome(images),
                  recovery_s=f"{recovery:.0f}")
    _check_the_end(images, active_model, recovery)


def test_redis_restarted_without_persistence_with_images_queued(pipeline, upload_cases, active_model, request):
    pipeline.beat()
    worker = pipeline.worker(name="worker")
    os.kill(worker.proc.pid, signal.SIGSTOP)  # busy elsewhere: the upload's messages wait in Redis
    try:
        images = upload_cases(20)
        # All queued but the one the stopped worker's pending BRPOP took (delivered to its socket, never read).
        assert pipeline.redis.client().llen("inference") >= 19
        pipeline.redis.restart()  # no persistence: every queued message is gone
        assert pipeline.redis.client().llen("inference") == 0
    finally:
        os.kill(worker.proc.pid, signal.SIGCONT)
    fault_ended = time.monotonic()
    recovery = _recover(pipeline, images, fault_ended)
    faults.report(request, "Redis restarted without persistence, 20 queued", **faults.outcome(images),
                  recovery_s=f"{recovery:.0f}")
    _check_the_end(images, active_model, recovery)


@pytest.fixture
def private_postgres():
    """A PostgreSQL cluster of the test's own, that it stops and starts; removed at the end."""
    server = faults.PrivatePostgres()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()


def test_postgresql_restarted_mid_batch_and_down_for_60_s(private_postgres, pipeline, tiny_model_dir, request):
    """A real restart: `pg_ctl stop -m fast` under the worker, 60 s down, started again. The whole platform, this
    process included, runs on the private cluster for the test."""
    from django.core.management import call_command
    from django.db import OperationalError, connection

    from diagnosis.inference.model_registry import model_version_register
    from tests.factories import ClinicFactory, StaffFactory

    name = "dermplatform_restart"
    private_postgres.create_database(name)
    env = {"DATABASE_URL": private_postgres.url(name)}
    with faults.django_database_on(private_postgres, name):
        call_command("migrate", verbosity=0)
        staff = StaffFactory(clinic=ClinicFactory())
        active_model = model_version_register(directory=tiny_model_dir, activate=True)
        pipeline.beat(env=env)
        pipeline.worker(name="worker", env=env)
        images = []
        for offset in range(0, 60, 20):
            case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
            images += services.images_upload(case=case, files=faults.lesion_uploads(20, offset), uploaded_by=staff)
        assert faults.wait_for(lambda: _classified(images) >= 5, timeout=60, step=0.1), pipeline.logs()
        before = _classified(images)
        private_postgres.stop()  # fast shutdown: every connection cut, new ones refused
        time.sleep(60)
        private_postgres.start()
        fault_ended = time.monotonic()
        connection.close()  # this process's connection died with the server too

        def classified():
            try:
                return _classified(images)
            except OperationalError:
                connection.close()
                return -1

        done = faults.wait_for(lambda: classified() == len(images), timeout=RECOVERY_LIMIT + 30, step=1)
        recovery = time.monotonic() - fault_ended
        assert done, f"{classified()} of {len(images)} classified\n{pipeline.logs()}\n{private_postgres.log_tail()}"
        faults.report(request, "PostgreSQL restarted mid-batch, down 60 s (pg_ctl stop -m fast, start)",
                      **faults.outcome(images), classified_before_the_stop=before, recovery_s=f"{recovery:.0f}")
        _check_the_end(images, active_model, recovery)
        assert not ClassificationJob.objects.filter(image__in=images, failed_at__isnull=False).exists()
