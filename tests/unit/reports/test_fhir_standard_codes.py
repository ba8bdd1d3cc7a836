"""The FHIR report in standard codes (issue 17, section 6): diagnoses, plans and body sites in SNOMED CT beside the
platform's own codes, the record number under the clinic's identifier system, the reviewer as a Practitioner by
full name, and the AI's opinion tied to a Device with the model's name, version and operating point. Every bundle
is parsed by fhir.resources."""

import json

import pytest
from django.core.exceptions import ValidationError
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.codeableconcept import CodeableConcept
from rest_framework.test import APIClient

from diagnosis.models import ManagementPlan, ModelVersion
from diagnosis.models.histology import HISTOLOGY_DIAGNOSES
from diagnosis.reports import snomed
from patients.models import BodySite

pytestmark = pytest.mark.django_db

SCT = "http://snomed.info/sct"


def _bundle(user, case) -> dict:
    api = APIClient()
    api.force_login(user)
    response = api.get(f"/api/cases/{case.public_id}/fhir/")
    assert response.status_code == 200
    data = response.json()
    Bundle.model_validate(data)
    for entry in data["entry"]:
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    return data


def _resources(data: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == kind]


def _resolve(data: dict, reference: dict) -> dict:
    [resource] = [e["resource"] for e in data["entry"] if e["fullUrl"] == reference["reference"]]
    return resource


def _snomed(concept: dict) -> tuple[str, str] | None:
    found = [(c["code"], c["display"]) for c in concept["coding"] if c["system"] == SCT]
    return found[0] if found else None


def _observation(data: dict, text: str) -> dict:
    [found] = [o for o in _resources(data, "Observation") if o["code"]["text"] == text]
    return found


def test_diagnosis_plan_and_body_site_are_snomed_coded_with_their_text(staff, world):
    data = _bundle(staff, world["case"])
    decision = _observation(data, "Dermatologist's diagnosis")
    assert _snomed(decision["valueCodeableConcept"]) == ("372244006", "Malignant melanoma")
    assert decision["valueCodeableConcept"]["text"] == "Melanoma"  # the platform's wording is kept
    [plan] = [c for c in decision["component"] if c["code"]["text"] == "Management plan"]
    assert _snomed(plan["valueCodeableConcept"]) == ("65801008", "Excision")
    assert plan["valueCodeableConcept"]["text"] == "Excision"
    ai = _observation(data, "AI second opinion on dermoscopic images")
    assert _snomed(ai["valueCodeableConcept"]) == ("372244006", "Malignant melanoma")
    for observation in (decision, ai):  # the lesion's site (HAM10000's "back")
        assert _snomed(observation["bodySite"]) == ("77568009", "Back")
        assert observation["bodySite"]["text"] == "Back"
    [report] = _resources(data, "DiagnosticReport")
    assert _snomed(report["conclusionCode"][0]) == ("372244006", "Malignant melanoma")


def test_a_follow_up_plan_and_another_site(staff, dermatologist, world):
    from diagnosis.review import services

    case = world["case"]
    case.body_site = BodySite.UPPER_EXTREMITY
    case.save(update_fields=["body_site"])
    services.review_submit(case=case, reviewer=dermatologist, decision="override", diagnosis="nv", plan="follow_up",
                           follow_up_months=6, downgrade_reason="Symmetric, stable on dermoscopy.")
    data = _bundle(staff, case)
    decision = _observation(data, "Dermatologist's diagnosis")
    assert _snomed(decision["valueCodeableConcept"]) == ("400096001", "Melanocytic nevus")
    [plan] = [c for c in decision["component"] if c["code"]["text"] == "Management plan"]
    assert _snomed(plan["valueCodeableConcept"]) == ("390906007", "Follow-up encounter")
    assert plan["valueCodeableConcept"]["text"] == "Follow-up in 6 months"
    assert _snomed(decision["bodySite"]) == ("53120007", "Upper limb")


@pytest.mark.parametrize("code", [code for code, _ in HISTOLOGY_DIAGNOSES])
def test_every_diagnosis_the_forms_offer_is_a_valid_concept_with_the_platform_code(code):
    concept = snomed.diagnosis_concept(code)
    CodeableConcept.model_validate(concept)
    assert {"system": snomed.DX_SYSTEM, "code": code, "display": dict(HISTOLOGY_DIAGNOSES)[code]} in concept["coding"]
    assert concept["text"] == dict(HISTOLOGY_DIAGNOSES)[code]


def test_the_snomed_codes_of_the_diagnoses():
    coded = {code: _snomed(snomed.diagnosis_concept(code)) for code, _ in HISTOLOGY_DIAGNOSES}
    assert coded == {
        "akiec": ("201101007", "Actinic keratosis"),
        "bcc": ("254701007", "Basal cell carcinoma of skin"),
        "mel": ("372244006", "Malignant melanoma"),
        "nv": ("400096001", "Melanocytic nevus"),
        # Classes that group several disorders, and "other": the platform's code and text only.
        "bkl": None, "df": None, "vasc": None, "other": None,
    }


@pytest.mark.parametrize("plan", list(ManagementPlan))
def test_every_plan_is_a_valid_concept(plan):
    concept = snomed.plan_concept(plan, "")
    CodeableConcept.model_validate(concept)
    assert concept["text"] == plan.label
    assert (_snomed(concept) is None) == (plan == ManagementPlan.REASSURE)


@pytest.mark.parametrize("site", list(BodySite))
def test_every_body_site_of_the_metadata_is_a_valid_concept(site):
    concept = snomed.body_site_concept(site)
    if site == BodySite.UNKNOWN:
        assert concept is None  # no bodySite rather than a made-up one
        return
    CodeableConcept.model_validate(concept)
    assert concept["text"] == site.label
    assert (_snomed(concept) is None) == (site in (BodySite.ACRAL, BodySite.GENITAL))


# --- the record number's system, per clinic -------------------------------------------------------------


def test_the_record_number_has_the_clinics_system(staff, world, settings):
    clinic = world["patient"].clinic
    [patient] = _resources(_bundle(staff, world["case"]), "Patient")
    assert patient["identifier"][0] == {
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
        "system": f"urn:dermplatform:clinic:{clinic.pk}:mrn",
        "value": world["patient"].medical_record_number,
        "assigner": {"display": clinic.name},
    }
    settings.DERM_PATIENT_ID_SYSTEM = "https://hospital.example/fhir/mrn/{clinic}"
    [patient] = _resources(_bundle(staff, world["case"]), "Patient")
    assert patient["identifier"][0]["system"] == f"https://hospital.example/fhir/mrn/{clinic.pk}"
    clinic.patient_identifier_system = "urn:oid:1.2.826.0.1.3680043.2.1125"
    clinic.save()
    [patient] = _resources(_bundle(staff, world["case"]), "Patient")
    assert patient["identifier"][0]["system"] == "urn:oid:1.2.826.0.1.3680043.2.1125"


def test_each_clinic_has_its_own_default_system(world, other_world, staff, outsider_staff):
    ours = _resources(_bundle(staff, world["case"]), "Patient")[0]["identifier"][0]["system"]
    theirs = _resources(_bundle(outsider_staff, other_world["case"]), "Patient")[0]["identifier"][0]["system"]
    assert ours != theirs


def test_a_clinic_system_must_be_a_uri(clinic):
    clinic.patient_identifier_system = "hospital numbers"
    with pytest.raises(ValidationError) as refused:
        clinic.full_clean()
    assert "patient_identifier_system" in refused.value.message_dict


def test_the_admin_sets_a_clinics_system(admin_client_, clinic):
    from django.urls import reverse

    url = reverse("admin:accounts_clinic_change", args=[clinic.pk])
    assert "Record number system (FHIR)" in admin_client_.get(url).content.decode()
    response = admin_client_.post(url, {"name": clinic.name, "patient_identifier_system": "urn:oid:2.16.840.1.1"})
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.record_number_system == "urn:oid:2.16.840.1.1"


# --- the reviewer ---------------------------------------------------------------------------------------


def test_the_reviewer_is_a_practitioner_by_full_name(staff, dermatologist, world):
    data = _bundle(staff, world["case"])
    decision = _observation(data, "Dermatologist's diagnosis")
    practitioner = _resolve(data, decision["performer"][0])
    assert practitioner["resourceType"] == "Practitioner"
    full_name = f"{dermatologist.first_name} {dermatologist.last_name}"
    assert practitioner["name"] == [{"text": full_name, "family": dermatologist.last_name,
                                     "given": [dermatologist.first_name]}]
    assert decision["performer"][0]["display"] == full_name
    assert f'"{dermatologist.username}"' not in json.dumps(data)  # the user name is nowhere


def test_no_practitioner_before_a_review(staff, world):
    from diagnosis.models import Review

    Review.objects.filter(case=world["case"]).delete()
    assert _resources(_bundle(staff, world["case"]), "Practitioner") == []


# --- the AI's opinion and its device --------------------------------------------------------------------


def test_the_ai_opinion_names_its_device_version_and_operating_point(staff, world):
    version = ModelVersion.objects.get(sha256="0" * 64)
    version.card = {"operating_points": {"mel": {"threshold": 0.3, "target_sensitivity": 0.9},
                                         "malignant": {"threshold": 0.4}}}
    version.save()
    data = _bundle(staff, world["case"])
    ai = _observation(data, "AI second opinion on dermoscopic images")
    device = _resolve(data, ai["device"])
    assert device["resourceType"] == "Device"
    assert device["deviceName"] == [{"name": "test-model", "type": "model-name"}]
    assert {v["type"]["text"]: v["value"] for v in device["version"]} == {
        "Model version": "test-model", "SHA-256 of the model file": "0" * 64,
    }
    assert {p["type"]["text"]: p["valueQuantity"][0]["value"] for p in device["property"]} == {
        "Melanoma flag threshold on P(melanoma) (model card)": 0.3,
        "Malignancy flag threshold on P(akiec + bcc + melanoma) (model card)": 0.4,
    }
    # The operating point that applied to this case, in words and as the thresholds used.
    assert ai["method"]["text"] == (
        "Operating point: threshold 0.3 on P(melanoma), set for 90 % melanoma sensitivity on validation data"
    )
    thresholds = {c["code"]["text"]: c["valueQuantity"]["value"] for c in ai["component"] if "threshold" in c["code"]["text"]}
    assert thresholds == {"Melanoma flag threshold on P(melanoma)": 0.3,
                          "Malignancy flag threshold on P(akiec + bcc + melanoma)": 0.4}


def test_a_minimal_card_gives_a_device_without_properties(staff, world):
    data = _bundle(staff, world["case"])  # the world's version has an empty card
    [device] = _resources(data, "Device")
    assert "property" not in device and device["deviceName"][0]["name"] == "test-model"
