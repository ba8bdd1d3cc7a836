"""Local validation end to end: a ZIP + CSV stored → Redis → a real Celery worker holding the tiny model scores the
run in chunks (progress moving) → the figures; then the clinic's adopted threshold is what the worker flags with."""

import re
import time

import pytest

from diagnosis.models import ClinicThresholds, Prediction, ValidationRun
from diagnosis.validation import selectors, services
from patients import services as patient_services
from tests.factories import CaseFactory, DermatologistFactory, PatientFactory
from tests.images import jpeg_bytes, upload
from tests.unit.validation.conftest import csv_upload, zip_upload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
CLASSES = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]


def _wait_for(condition, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


def test_the_worker_scores_a_run_in_chunks(celery_worker_process, staff, active_model, admin_user):
    dermatologist = DermatologistFactory(clinic=staff.clinic)
    n = services.CHUNK + 4  # two chunks
    files = {f"img{i}.jpg": jpeg_bytes(size=(96, 72), seed=i, color=(40 + 9 * i, 60, 90)) for i in range(n)}
    rows = [(name, CLASSES[i % 7], str(30 + i), "female", "back") for i, name in enumerate(files)]
    run = services.validation_run_create_from_upload(user=dermatologist, clinic_id=staff.clinic_id,
                                                     archive=zip_upload(files), labels=csv_upload(rows))
    def finished():
        run.refresh_from_db()
        return run.status == ValidationRun.Status.DONE

    assert _wait_for(finished), celery_worker_process.log_path.read_text()[-3000:]
    assert run.done == run.total == n and run.finished_at
    assert run.images.filter(scored=True).count() == n
    figures = selectors.run_figures(run)
    assert figures.scored == n and sum(r.total for r in figures.recall.values()) == n
    log = celery_worker_process.log()  # this test's part of the shared worker's log
    # One task per chunk, each committing its progress (done: CHUNK, then n).
    assert len(re.findall(r"score_validation_run\[[^\]]+\] succeeded", log)) == 2

    # The clinic adopts a threshold for this version (0: every image flagged): the worker flags with it.
    adopted = ClinicThresholds.objects.create(clinic=staff.clinic, model_version=active_model, kind="adopted",
                                              mel_threshold=0.0, malignant_threshold=0.0, decided_by=admin_user)
    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    patient_services.images_upload(case=case, files=[upload(jpeg_bytes(seed=99))], uploaded_by=staff)
    assert _wait_for(lambda: Prediction.objects.filter(image__case=case).exists())
    prediction = Prediction.objects.get(image__case=case)
    assert prediction.clinic_thresholds == adopted and prediction.mel_flag is True
    assert prediction.operating_point_source == adopted.label
