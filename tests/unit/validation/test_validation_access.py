"""Who reaches local validation, page by page and through the API: the clinic's dermatologist (reads, starts and
deletes runs, never adopts), the colleague of another role (staff: no access), the outsider (another clinic: not
found), and the admin (everything; adopts with a verified second factor). Every access is audited."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from dermplatform.audit.models import Action, AuditEvent, Outcome
from diagnosis.models import ClinicThresholds, ValidationRun
from tests.images import jpeg_bytes

from .conftest import csv_upload, zip_upload

pytestmark = pytest.mark.django_db


def _as(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("who, list_status, run_status", [
    ("dermatologist", 200, 200), ("staff", 403, 403), ("outsider_dermatologist", 200, 404), ("admin_user", 200, 200),
])
def test_reading(client, request, finished_run, who, list_status, run_status):
    run = finished_run()
    user = request.getfixturevalue(who)
    _as(client, user)
    listing = client.get(reverse("validation:list"))
    assert listing.status_code == list_status
    if list_status == 200:
        assert (str(run.public_id) in listing.content.decode()) == (run_status == 200)
    page = client.get(reverse("validation:run", args=[run.public_id]))
    assert page.status_code == run_status
    event = AuditEvent.objects.filter(action=Action.VALIDATION_VIEW, actor=user).get()
    assert event.object_id == run.public_id
    assert event.outcome == (Outcome.ALLOWED if run_status == 200 else Outcome.DENIED)


def test_the_result_page(client, dermatologist, admin_user, finished_run):
    run = finished_run(melanomas=12, others=10)
    html = _as(client, dermatologist).get(reverse("validation:run", args=[run.public_id])).content.decode()
    assert "Based on 12 melanomas: too few to be sure." in html
    assert 'data-testid="roc-curve"' in html and 'data-testid="roc-operating-point"' in html
    assert "fewer than 30 positives: cannot be adopted" not in html  # dermatologists see no adopt column
    assert "An administrator adopts clinic thresholds." in html and 'http-equiv="refresh"' not in html
    html = _as(client, admin_user).get(reverse("validation:run", args=[run.public_id])).content.decode()
    assert "fewer than 30 positives: cannot be adopted" in html and 'data-testid="adopt-mel"' not in html


def test_a_running_run_refreshes_itself(client, dermatologist, card_version):
    run = ValidationRun.objects.create(clinic=dermatologist.clinic, model_version=card_version, source="upload",
                                       total=40, done=10, status="running", created_by=dermatologist)
    html = _as(client, dermatologist).get(reverse("validation:run", args=[run.public_id])).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in html and '<progress max="40" value="10"' in html
    assert "<script>" not in html


@pytest.mark.parametrize("who, status", [("dermatologist", 302), ("staff", 403), ("admin_user", 400)])
def test_starting_a_run(client, request, card_version, django_capture_on_commit_callbacks, who, status):
    user = request.getfixturevalue(who)
    with django_capture_on_commit_callbacks():
        response = _as(client, user).post(reverse("validation:create"), {
            "source": "upload", "images": zip_upload({"a.jpg": jpeg_bytes()}), "labels": csv_upload([("a.jpg", "mel")],
                                                                                             header=("file_name", "dx")),
        })
    assert response.status_code == status
    assert ValidationRun.objects.count() == (1 if status == 302 else 0)
    if who == "admin_user":  # an admin chooses the clinic
        assert "Choose the clinic the run is for." in response.content.decode()


def test_a_bad_upload_is_shown_on_the_form(client, dermatologist, card_version):
    response = _as(client, dermatologist).post(reverse("validation:create"), {
        "source": "upload", "images": zip_upload({"a.jpg": jpeg_bytes()}), "labels": csv_upload([("a.jpg", "cancer")]),
    })
    assert response.status_code == 400
    assert "unknown diagnosis &#x27;cancer&#x27;" in response.content.decode()
    assert AuditEvent.objects.filter(action=Action.VALIDATION_CREATE, outcome=Outcome.REFUSED).exists()


@pytest.mark.parametrize("who, status, kept", [
    ("staff", 403, True), ("outsider_dermatologist", 404, True), ("dermatologist", 302, False),
])
def test_deleting_a_run(client, request, finished_run, who, status, kept):
    run = finished_run()
    response = _as(client, request.getfixturevalue(who)).post(reverse("validation:delete", args=[run.public_id]))
    assert response.status_code == status
    assert ValidationRun.objects.filter(pk=run.pk).exists() == kept


@pytest.mark.parametrize("who, status, adopted", [
    ("staff", 403, False), ("dermatologist", 403, False), ("outsider_dermatologist", 404, False),
    ("admin_user", 302, True),
])
def test_adopting_on_the_page(client, request, finished_run, who, status, adopted):
    run = finished_run()
    response = _as(client, request.getfixturevalue(who)).post(reverse("validation:adopt", args=[run.public_id]),
                                                              {"flag": ["mel", "malignant"]})
    assert response.status_code == status
    assert ClinicThresholds.objects.exists() == adopted
    if adopted:
        page = client.get(reverse("validation:run", args=[run.public_id])).content.decode()
        row = ClinicThresholds.objects.get()
        assert row.label in page and 'data-testid="restore-thresholds"' in page
        assert client.post(reverse("validation:restore", args=[run.public_id])).status_code == 302
        assert ClinicThresholds.objects.in_force(clinic_id=run.clinic_id, model_version_id=run.model_version_id).kind == "restored"


def test_dermatologist_cannot_restore(client, dermatologist, finished_run):
    run = finished_run()
    assert _as(client, dermatologist).post(reverse("validation:restore", args=[run.public_id])).status_code == 403


def test_refused_on_the_page_with_a_clear_message(client, admin_user, finished_run):
    run = finished_run(melanomas=29)
    response = _as(client, admin_user).post(reverse("validation:adopt", args=[run.public_id]), {"flag": "mel"},
                                            follow=True)
    assert "holds 29 melanomas, fewer than the 30 needed" in response.content.decode()
    assert not ClinicThresholds.objects.exists()
    assert AuditEvent.objects.filter(action=Action.THRESHOLDS_ADOPT, outcome=Outcome.REFUSED).exists()


@pytest.mark.parametrize("who, melanomas, status", [
    ("admin_user", 30, 201), ("admin_user", 29, 422), ("dermatologist", 30, 403), ("outsider_dermatologist", 30, 404),
    ("staff", 30, 403), (None, 30, 401),
])
def test_adopting_through_the_api(request, finished_run, who, melanomas, status):
    run = finished_run(melanomas=melanomas)
    api = APIClient()
    if who:
        api.force_login(request.getfixturevalue(who))
    response = api.post(f"/api/validation-runs/{run.public_id}/thresholds/", {"flags": ["mel"]}, format="json")
    assert response.status_code == status, response.content
    assert ClinicThresholds.objects.exists() == (status == 201)
    if status == 201:
        assert response.json()["label"].startswith("clinic threshold of ")
    if status == 422:
        assert "fewer than the 30" in str(response.json())
