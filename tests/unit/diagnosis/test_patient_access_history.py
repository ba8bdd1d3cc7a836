"""A clinic's dermatologists see who read or changed one of their patients' records (patient, lesion, case, image,
AI opinion), linked from the patient page; nobody else does, and other patients' events stay out."""

import contextlib

import pytest
from django.urls import reverse

from dermplatform.audit.models import Action
from tests.clinical_world import clinical_world
from tests.factories import CaseFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(staff, dermatologist):
    return clinical_world(staff=staff, dermatologist=dermatologist, capture_on_commit=contextlib.nullcontext)


def _history(client, patient):
    response = client.get(reverse("diagnosis:patient_access", args=[patient.public_id]))
    assert response.status_code == 200
    return response


def test_lists_reads_and_writes_of_the_patients_records(client, staff, dermatologist, outsider_staff, world):
    patient, case, image, prediction = world["patient"], world["case"], world["image"], world["prediction"]
    # Someone else's patient in the same clinic: their events stay out.
    stranger = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    client.force_login(staff)
    client.get(patient.get_absolute_url())
    client.get(case.get_absolute_url())
    client.get(reverse("patients:image_content", args=[image.public_id]))
    client.get(stranger.get_absolute_url())
    client.force_login(dermatologist)
    client.get(reverse("diagnosis:heatmap", args=[prediction.public_id]))
    client.get(world["lesion"].get_absolute_url())
    client.force_login(outsider_staff)
    assert client.get(patient.get_absolute_url()).status_code == 404  # a denied try by another clinic

    client.force_login(dermatologist)
    page = _history(client, patient)
    events = list(page.context["page"].object_list)
    seen = {(e.action, e.object_type, e.username, e.outcome) for e in events}
    assert {
        (Action.PATIENT_VIEW, "patient", staff.username, "allowed"),
        (Action.CASE_VIEW, "case", staff.username, "allowed"),
        (Action.IMAGE_CONTENT, "image", staff.username, "allowed"),
        (Action.IMAGE_UPLOAD, "image", staff.username, "allowed"),
        (Action.REVIEW_CREATE, "case", dermatologist.username, "allowed"),
        (Action.HEATMAP_VIEW, "prediction", dermatologist.username, "allowed"),
        (Action.LESION_VIEW, "lesion", dermatologist.username, "allowed"),
        (Action.PATIENT_VIEW, "patient", outsider_staff.username, "denied"),
    } <= seen
    assert all(e.object_id != stranger.public_id for e in events)
    assert [e.at for e in events] == sorted((e.at for e in events), reverse=True)
    assert b"Viewed heat-map" in page.content and b"Denied" in page.content
    # Looking at the history is itself recorded.
    assert _history(client, patient).context["page"].object_list[0].action == Action.PATIENT_ACCESS_HISTORY


def test_linked_from_the_patient_page_for_dermatologists_only(client, staff, dermatologist, world):
    link = reverse("diagnosis:patient_access", args=[world["patient"].public_id]).encode()
    client.force_login(dermatologist)
    assert link in client.get(world["patient"].get_absolute_url()).content
    client.force_login(staff)
    assert link not in client.get(world["patient"].get_absolute_url()).content


def test_colleague_and_outsider_are_refused(client, staff, outsider_dermatologist, admin_user, world):
    url = reverse("diagnosis:patient_access", args=[world["patient"].public_id])
    client.force_login(staff)
    assert client.get(url).status_code == 403
    client.force_login(outsider_dermatologist)
    assert client.get(url).status_code == 404
    client.force_login(admin_user)
    assert client.get(url).status_code == 403  # admins read the whole trail in the admin
