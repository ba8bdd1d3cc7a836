"""The case report as FHIR R4: a Bundle validated by fhir.resources (R4B models; the resources used are
unchanged from R4), read as a hospital record system would; scoped and audited."""

import datetime

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from rest_framework.test import APIClient

from dermplatform.audit.models import Action, AuditEvent, Outcome
from diagnosis.review import services
from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


def _url(case):
    return f"/api/cases/{case.public_id}/fhir/"


def _get(user, case, **extra):
    api = APIClient()
    if user is not None:
        api.force_login(user)
    return api.get(_url(case), **extra)


def _validated(data: dict) -> dict:
    """Validate the bundle and every resource in it by its own model; return the resources by type."""
    Bundle.model_validate(data)
    by_type = {}
    for entry in data["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        by_type.setdefault(resource["resourceType"], []).append(resource)
    return by_type


SNOMED, DX, PLAN, SITE = ("http://snomed.info/sct", "urn:dermplatform:ham10000-dx", "urn:dermplatform:management-plan",
                           "urn:dermplatform:body-site")


def _codes(concept: dict) -> dict:
    return {coding["system"]: coding["code"] for coding in concept["coding"]}


def _resolve(data: dict, reference: dict) -> dict:
    [resource] = [e["resource"] for e in data["entry"] if e["fullUrl"] == reference["reference"]]
    return resource


def test_a_reviewed_case_with_histology(staff, dermatologist, world):
    case, patient, prediction = world["case"], world["patient"], world["prediction"]
    services.histology_record(case=case, user=staff, diagnosis="nv", reported_on=datetime.date(2026, 11, 2), report_reference="LAB-77")
    response = _get(dermatologist, case, HTTP_ACCEPT="application/fhir+json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    assert response["Cache-Control"] == "private, no-store"
    data = response.json()
    resources = _validated(data)
    assert data["type"] == "collection"

    [report] = resources["DiagnosticReport"]
    assert report["id"] == str(case.public_id) and report["status"] == "final"
    assert report["conclusion"].startswith("Histology: Melanocytic nevus")
    assert _codes(report["conclusionCode"][0]) == {SNOMED: "400096001", DX: "nv"}
    # The patient is a reference to the bundle's Patient, with the record number.
    subject = _resolve(data, report["subject"])
    assert subject["resourceType"] == "Patient" and subject["id"] == str(patient.public_id)
    assert subject["identifier"][0]["value"] == patient.medical_record_number
    assert subject["identifier"][0]["system"] == f"urn:dermplatform:clinic:{patient.clinic.pk}:mrn"
    assert subject["birthDate"] == patient.date_of_birth.isoformat()

    # Results in headline order: histology, decision, AI.
    histology, decision, ai = (_resolve(data, ref) for ref in report["result"])
    assert _codes(histology["valueCodeableConcept"]) == {SNOMED: "400096001", DX: "nv"}
    assert histology["identifier"][0]["value"] == "LAB-77" and histology["effectiveDateTime"] == "2026-11-02"
    assert _codes(decision["valueCodeableConcept"]) == {SNOMED: "372244006", DX: "mel"}
    assert _codes(decision["component"][0]["valueCodeableConcept"]) == {SNOMED: "65801008", PLAN: "excision"}
    assert "Typical." in [note["text"] for note in decision["note"]]
    assert _codes(ai["valueCodeableConcept"]) == {SNOMED: "372244006", DX: "mel"}
    assert ai["interpretation"][0]["coding"][0]["code"] == "mel"  # suspicious for melanoma
    probabilities = {c["code"]["text"]: c["valueQuantity"]["value"] for c in ai["component"] if c["code"]["text"].startswith("P(")}
    assert probabilities["P(mel)"] == pytest.approx(0.6) and sum(probabilities.values()) == pytest.approx(1.0, abs=1e-5)
    assert {c["code"]["text"]: c["valueBoolean"] for c in ai["component"] if "valueBoolean" in c} == {
        "Melanoma flag": True, "Malignancy flag": True,
    }
    device = _resolve(data, ai["device"])
    assert device["deviceName"][0]["name"] == "test-model" and device["version"][1]["value"] == "0" * 64

    # The image and its heat-map, each at its access-checked API address.
    media = [_resolve(data, m["link"]) for m in report["media"]]
    assert [m["content"]["url"] for m in media] == [
        f"http://testserver/api/images/{world['image'].public_id}/content/",
        f"http://testserver/api/predictions/{prediction.public_id}/heatmap/",
    ]
    assert report["presentedForm"][0]["url"] == f"http://testserver/api/cases/{case.public_id}/report.pdf"


def test_a_case_awaiting_review_is_preliminary_and_led_by_the_ai(staff, world):
    from diagnosis.models import Review

    case = world["case"]
    Review.objects.filter(case=case).delete()
    data = _get(staff, case).json()
    resources = _validated(data)
    [report] = resources["DiagnosticReport"]
    assert report["status"] == "preliminary"
    assert report["conclusion"].startswith("Suspicious for melanoma")
    assert [o["code"]["text"] for o in resources["Observation"]] == ["AI second opinion on dermoscopic images"]


def test_a_new_case_still_validates(staff, world):
    from patients import services as patient_services

    case = patient_services.case_create(patient=world["patient"], created_by=staff, body_site="back", clinical_notes="")
    data = _get(staff, case).json()
    resources = _validated(data)
    assert resources["DiagnosticReport"][0]["status"] == "registered"
    assert set(resources) == {"DiagnosticReport", "Patient"}


# --- three people --------------------------------------------------------------------------------------


@pytest.mark.parametrize("reader", ["staff", "dermatologist"])
def test_the_clinic_reads_it_and_it_is_audited(request, world, reader):
    user = request.getfixturevalue(reader)
    assert _get(user, world["case"]).status_code == 200
    event = AuditEvent.objects.get(action=Action.REPORT_FHIR)
    assert (event.actor, event.object_id, event.outcome) == (user, world["case"].public_id, Outcome.ALLOWED)


@pytest.mark.parametrize("outsider", ["outsider_staff", "outsider_dermatologist"])
def test_another_clinic_does_not_find_it(request, world, outsider):
    user = request.getfixturevalue(outsider)
    response = _get(user, world["case"])
    assert response.status_code == 404 and world["patient"].last_name not in response.content.decode()
    assert AuditEvent.objects.get(action=Action.REPORT_FHIR).outcome == Outcome.DENIED


def test_admins_and_anonymous_are_refused(world):
    assert _get(AdminFactory(), world["case"]).status_code == 403
    assert _get(None, world["case"]).status_code == 401
