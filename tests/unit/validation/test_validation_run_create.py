"""Starting a local validation run: from a ZIP + CSV (every image checked as an upload is; any problem refuses
the whole set and stores nothing) or from the clinic's cases with histology; scoring in chunks; deleting."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from dermplatform.audit.models import Action, AuditEvent
from diagnosis.models import ValidationImage, ValidationRun
from diagnosis.review import services as diagnosis_services
from diagnosis.validation import selectors, services
from patients.models import StoredFile
from tests.factories import CaseFactory, PatientFactory
from tests.images import jpeg_bytes, png_bytes

from .conftest import csv_upload, zip_upload

pytestmark = pytest.mark.django_db


def _create(user, files, rows, **kwargs):
    return services.validation_run_create_from_upload(
        user=user, clinic_id=user.clinic_id, archive=zip_upload(files), labels=csv_upload(rows), **kwargs)


def test_upload_creates_a_run_apart_from_patients_and_scores_it(dermatologist, model_variant,
                                                                django_capture_on_commit_callbacks):
    model_variant(mel=0.0, malignant=1.01)
    files = {"a.jpg": jpeg_bytes(seed=1), "sub/b.png": png_bytes(), "c.jpg": jpeg_bytes(seed=3)}
    rows = [("a.jpg", "mel", "61", "male", "back"), ("b.png", "nv", "", "", ""), ("c", "bcc", "40", "female", "face")]
    with django_capture_on_commit_callbacks() as callbacks:
        run = _create(dermatologist, files, rows, name="Dermatoscope 2")
    assert len(callbacks) == 1  # the run is sent to the worker after commit
    assert (run.total, run.status, run.clinic_id, run.name) == (3, "queued", dermatologist.clinic_id, "Dermatoscope 2")
    images = list(run.images.all())
    assert [i.truth for i in images] == ["mel", "nv", "bcc"]
    assert images[0].metadata() == {"age": 61.0, "sex": "male", "localization": "back"}
    assert all(i.image.name.startswith("validation/") and i.lesion_image is None for i in images)
    assert AuditEvent.objects.filter(action=Action.VALIDATION_CREATE, object_id=run.public_id).count() == 1
    # Scored in chunks, progress moving.
    assert services.validation_run_score_next(run_id=run.pk, chunk=2) is True
    run.refresh_from_db()
    assert (run.done, run.status) == (2, "running")
    assert services.validation_run_score_next(run_id=run.pk, chunk=2) is False
    run.refresh_from_db()
    assert (run.done, run.status) == (3, "done") and run.finished_at
    scored = run.images.get(file_name="a.jpg")
    assert scored.scored and scored.mel_flag is True and scored.malignant_flag is False
    assert sum(scored.probabilities.values()) == pytest.approx(1.0, abs=1e-4)
    figures = selectors.run_figures(run)
    assert figures.flags["mel"].sensitivity.hits == 1 and figures.scored == 3
    assert services.validation_run_score_next(run_id=run.pk) is False  # a re-delivered task: nothing more


@pytest.mark.parametrize("files, rows, field, message", [
    ({"a.jpg": b"x"}, None, "labels", "Add the CSV"),
    ({"a.jpg": jpeg_bytes()}, [("a.jpg", "melanoma", "", "", "")], "labels", "unknown diagnosis 'melanoma'"),
    ({"a.jpg": jpeg_bytes()}, [("a.jpg", "mel", "", "", ""), ("b.jpg", "nv", "", "", "")], "images",
     "b.jpg: listed in the CSV but not in the ZIP"),
    ({"a.jpg": jpeg_bytes(), "b.jpg": b"%PDF-1.4 not an image"}, [("a.jpg", "mel", "", "", ""), ("b.jpg", "nv", "", "", "")],
     "images", "b.jpg: File is not a JPEG or PNG image."),
    ({"a.jpg": jpeg_bytes()}, [("a.jpg", "mel", "two hundred", "", "")], "labels", "is not a number of years"),
])
def test_bad_input_is_refused_and_nothing_is_stored(dermatologist, card_version, files, rows, field, message):
    stored_before = StoredFile.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.validation_run_create_from_upload(
            user=dermatologist, clinic_id=dermatologist.clinic_id, archive=zip_upload(files),
            labels=None if rows is None else csv_upload(rows))
    assert message in " ".join(refused.value.message_dict[field])
    assert not ValidationRun.objects.exists() and not ValidationImage.objects.exists()
    assert StoredFile.objects.count() == stored_before


def test_too_big_and_not_a_zip_are_refused(dermatologist, card_version, settings):
    settings.DERM_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(ValidationError, match="larger than the"):
        _create(dermatologist, {"a.jpg": jpeg_bytes()}, [("a.jpg", "mel", "", "", "")])
    with pytest.raises(ValidationError, match="not a ZIP archive"):
        services.validation_run_create_from_upload(
            user=dermatologist, clinic_id=dermatologist.clinic_id, archive=csv_upload([]), labels=csv_upload([("a", "mel")]))
    assert not ValidationRun.objects.exists()


def test_staff_cannot_start_a_run(staff, card_version):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        _create(staff, {"a.jpg": jpeg_bytes()}, [("a.jpg", "mel", "", "", "")])


def test_run_from_cases_with_histology(uploaded_case, staff, dermatologist, card_version, django_capture_on_commit_callbacks):
    other = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)  # no histology
    assert other.images.count() == 0
    with pytest.raises(ValidationError, match="no case with a histology"):
        services.validation_run_create_from_histology(user=dermatologist, clinic_id=dermatologist.clinic_id)
    diagnosis_services.histology_record(case=uploaded_case, user=dermatologist, diagnosis="mel",
                                        reported_on=datetime.date(2026, 1, 5), report_reference="H-1")
    with django_capture_on_commit_callbacks():
        run = services.validation_run_create_from_histology(user=dermatologist, clinic_id=dermatologist.clinic_id)
    assert run.total == 2 and run.source == "histology"
    assert {i.lesion_image.case_id for i in run.images.all()} == {uploaded_case.pk}
    assert {i.truth for i in run.images.all()} == {"mel"} and not any(i.image for i in run.images.all())


def test_deleting_a_run_deletes_its_images_and_bytes(dermatologist, card_version, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        run = _create(dermatologist, {"a.jpg": jpeg_bytes()}, [("a.jpg", "mel", "", "", "")])
    name = run.images.get().image.name
    assert StoredFile.objects.filter(name=name).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.validation_run_delete(run=run, user=dermatologist)
    assert not ValidationRun.objects.exists() and not ValidationImage.objects.exists()
    assert not StoredFile.objects.filter(name=name).exists()
    assert AuditEvent.objects.filter(action=Action.VALIDATION_DELETE, object_id=run.public_id).exists()


def test_picking_cases_with_histology_on_the_page(client, staff, dermatologist, card_version,
                                                  django_capture_on_commit_callbacks):
    from django.urls import reverse

    from patients import services as patient_services
    from tests.images import upload

    cases = []
    for seed, dx in [(1, "mel"), (2, "nv"), (3, "other")]:
        case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
        with django_capture_on_commit_callbacks():
            patient_services.images_upload(case=case, files=[upload(jpeg_bytes(seed=seed))], uploaded_by=staff)
        diagnosis_services.histology_record(case=case, user=dermatologist, diagnosis=dx,
                                            reported_on=datetime.date(2026, 1, 5), report_reference=f"H-{seed}")
        cases.append(case)
    client.force_login(dermatologist)
    page = client.get(reverse("validation:list")).content.decode()
    assert str(cases[0].public_id) in page and str(cases[1].public_id) in page
    assert str(cases[2].public_id) not in page  # "other" has no place in the figures
    with django_capture_on_commit_callbacks():
        response = client.post(reverse("validation:create"), {"source": "histology", "cases": [str(cases[1].public_id)]})
    assert response.status_code == 302
    run = ValidationRun.objects.get()
    assert [(i.lesion_image.case_id, i.truth) for i in run.images.all()] == [(cases[1].pk, "nv")]


def test_a_stalled_or_failed_run_is_sent_again(client, dermatologist, outsider_dermatologist, card_version,
                                               django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    run = ValidationRun.objects.create(clinic=dermatologist.clinic, model_version=card_version, source="upload",
                                       total=3, created_by=dermatologist)
    client.force_login(dermatologist)
    assert 'data-testid="resume-run"' not in client.get(reverse("validation:run", args=[run.public_id])).content.decode()
    response = client.post(reverse("validation:resume", args=[run.public_id]), follow=True)
    assert "nothing to send again" in response.content.decode()  # just sent: not stalled yet
    ValidationRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert 'data-testid="resume-run"' in client.get(reverse("validation:run", args=[run.public_id])).content.decode()
    client.force_login(outsider_dermatologist)
    assert client.post(reverse("validation:resume", args=[run.public_id])).status_code == 404
    ValidationRun.objects.filter(pk=run.pk).update(status="failed", error="boom")
    client.force_login(dermatologist)
    with django_capture_on_commit_callbacks() as sent:
        assert client.post(reverse("validation:resume", args=[run.public_id])).status_code == 302
    assert len(sent) == 1
    run.refresh_from_db()
    assert (run.status, run.error) == ("queued", "")
