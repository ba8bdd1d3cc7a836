"""Lesions followed across visits: a case is one visit of a lesion; opening a case picks a lesion of the patient or
creates one; the lesion page lists its visits in order with each visit's images, AI flag, P(melanoma) and decision;
existing cases migrate to one lesion each."""

import html

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from rest_framework.test import APIClient

from dermplatform.audit.models import AuditEvent
from diagnosis.inference import services as inference_services
from diagnosis.review import services as review_services
from patients import services
from patients.models import Case, Lesion
from tests.factories import CaseFactory, PatientFactory
from tests.images import jpeg_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(staff):
    return PatientFactory(clinic=staff.clinic, created_by=staff)


def test_a_new_case_creates_its_lesion(patient, staff):
    case = services.case_create(patient=patient, created_by=staff, body_site="back", side="left",
                                label=" 6 mm pigmented ")
    lesion = case.lesion
    assert (lesion.patient, lesion.body_site, lesion.side, lesion.label) == (patient, "back", "left", "6 mm pigmented")
    assert lesion.name == "Back (left): 6 mm pigmented"


def test_a_follow_up_visit_keeps_the_lesion_and_its_site(patient, staff):
    first = services.case_create(patient=patient, created_by=staff, body_site="face")
    second = services.case_create(patient=patient, created_by=staff, lesion=first.lesion, body_site="back")
    assert second.lesion == first.lesion and second.body_site == "face"
    assert list(first.lesion.cases.order_by("created_at")) == [first, second]


def test_another_patients_lesion_is_refused(patient, staff):
    other = services.case_create(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff,
                                 body_site="back")
    with pytest.raises(ValidationError) as error:
        services.case_create(patient=patient, created_by=staff, lesion=other.lesion)
    assert "lesion" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.case_create(patient=patient, created_by=staff)  # a new lesion needs its body site


def test_case_form_picks_or_creates_a_lesion(staff_client, patient, staff):
    url = reverse("patients:case_create", args=[patient.public_id])
    assert staff_client.post(url, {"body_site": "neck", "side": "right", "label": "dome"}).status_code == 302
    lesion = Lesion.objects.get(patient=patient)
    page = staff_client.get(url + f"?lesion={lesion.public_id}").content.decode()
    assert f'<option value="{lesion.public_id}" selected>' in page
    assert staff_client.post(url, {"lesion": str(lesion.public_id), "clinical_notes": "grew"}).status_code == 302
    assert Lesion.objects.filter(patient=patient).count() == 1 and lesion.cases.count() == 2
    foreign = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff).lesion
    refused = staff_client.post(url, {"lesion": str(foreign.public_id)})
    assert refused.status_code == 200 and lesion.cases.count() == 2  # not one of the choices


def _visit(lesion, staff, seed, capture):
    case = services.case_create(patient=lesion.patient, created_by=staff, lesion=lesion)
    with capture():
        images = services.images_upload(case=case, files=[upload(jpeg_bytes(seed=seed))], uploaded_by=staff)
    for image in images:
        inference_services.image_classify(image_id=image.pk)
    return case


def test_lesion_page_lists_the_visits_in_order(dermatologist_client, staff, dermatologist, patient, active_model,
                                                django_capture_on_commit_callbacks):
    first = services.case_create(patient=patient, created_by=staff, body_site="back", label="pigmented")
    lesion = first.lesion
    with django_capture_on_commit_callbacks():
        for image in services.images_upload(case=first, files=[upload(jpeg_bytes(seed=3))], uploaded_by=staff):
            inference_services.image_classify(image_id=image.pk)
    second = _visit(lesion, staff, 4, django_capture_on_commit_callbacks)
    # Following up against a malignant or flagged AI opinion needs a reason (diagnosis.review.rules).
    reason = "Small and stable" if review_services.review_opinion(first).malignant_sources() else ""
    review_services.review_submit(case=first, reviewer=dermatologist, decision="confirm", plan="follow_up",
                                     follow_up_months=6, downgrade_reason=reason)
    response = dermatologist_client.get(lesion.get_absolute_url())
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert page.count('data-testid="visit"') == 2
    assert page.index(first.get_absolute_url()) < page.index(second.get_absolute_url())
    assert page.count('data-testid="visit-flag"') == 2 and page.count("P(melanoma)") == 2
    assert "since the visit before" in page  # the change in P(melanoma)
    assert "Follow-up in 6 months" in page and "Not reviewed" in page
    for case in (first, second):
        assert case.images.get().thumbnail_url() in page
    case_page = dermatologist_client.get(second.get_absolute_url()).content.decode()
    assert lesion.get_absolute_url() in case_page


@pytest.mark.parametrize(("who", "status"), [("staff", 200), ("outsider_staff", 404), ("outsider_dermatologist", 404),
                                             ("admin_user", 403)])
def test_lesion_page_is_for_the_clinic(client, request, patient, staff, who, status):
    lesion = services.case_create(patient=patient, created_by=staff, body_site="back").lesion
    client.force_login(request.getfixturevalue(who))
    assert client.get(lesion.get_absolute_url()).status_code == status
    event = AuditEvent.objects.filter(action="lesion.view", object_id=lesion.public_id).get()
    assert event.outcome == ("allowed" if status == 200 else "denied")


def test_api_opens_a_follow_up_visit(patient, staff, outsider_staff):
    api = APIClient()
    api.force_authenticate(staff)
    first = api.post("/api/cases/", {"patient": str(patient.public_id), "body_site": "back", "label": "x"}, format="json")
    assert first.status_code == 201, first.content
    lesion = first.json()["lesion"]
    second = api.post("/api/cases/", {"patient": str(patient.public_id), "lesion": lesion}, format="json")
    assert second.status_code == 201 and second.json()["lesion"] == lesion and second.json()["body_site"] == "back"
    other = CaseFactory(patient=PatientFactory(clinic=outsider_staff.clinic, created_by=outsider_staff),
                        created_by=outsider_staff)
    refused = api.post("/api/cases/", {"patient": str(patient.public_id), "lesion": str(other.lesion.public_id)},
                       format="json")
    assert refused.status_code == 422 and list(refused.json()) == ["lesion"]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_cases_migrate_to_one_lesion_each(staff):
    patient = PatientFactory(clinic=staff.clinic, created_by=staff)
    try:
        old = _migrate([("patients", "0001_initial")])
        OldCase = old.get_model("patients", "Case")
        ids = [OldCase.objects.create(patient_id=patient.pk, body_site=site, created_by_id=staff.pk).pk
               for site in ("back", "face")]
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    cases = Case.objects.filter(pk__in=ids).select_related("lesion").order_by("pk")
    assert [(c.lesion.body_site, c.lesion.patient_id) for c in cases] == [("back", patient.pk), ("face", patient.pk)]
    assert len({c.lesion_id for c in cases}) == 2
