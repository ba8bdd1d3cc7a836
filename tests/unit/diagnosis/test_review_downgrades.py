"""A review that contradicts itself is refused (service, page, API), never rewritten; a decision that turns a
malignant or flagged opinion benign needs a reason and is recorded as a downgrade, shown in the case's history,
the PDF, FHIR and the CSV, and counted on the performance page.

The AI's opinions are written directly (no model run), so that each is exactly the one a rule is about."""

import csv
import html
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader
from rest_framework.test import APIClient

from diagnosis.models import ModelVersion, Prediction, Review
from diagnosis.review import services
from patients import services as patient_services
from patients.models import CaseStatus
from tests.clinical_world import CLASSES, clinical_world
from tests.factories import CaseFactory, PatientFactory
from tests.images import jpeg_bytes, upload

pytestmark = pytest.mark.django_db


def _case_with_ai(staff, capture, *, top: str, p: float, mel_flag: bool = False, malignant_flag: bool = False):
    """A case awaiting review whose one image the AI gave `top` with probability `p`, flagged as told."""
    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    with capture():
        (image,) = patient_services.images_upload(case=case, files=[upload(jpeg_bytes(seed=3))], uploaded_by=staff)
    version = ModelVersion.objects.filter(sha256="1" * 64).first() or ModelVersion.objects.create(
        name="rules-model", sha256="1" * 64, directory="/nowhere", classes=CLASSES, card={}, is_active=True
    )
    rest = (1 - p) / 6
    probabilities = {name: (p if name == top else rest) for name in CLASSES}
    Prediction.objects.create(
        image=image, model_version=version, probabilities=probabilities, top_class=top, confidence=p,
        malignancy_risk=sum(probabilities[c] for c in ("akiec", "bcc", "mel")), mel_score=probabilities["mel"],
        mel_flag=mel_flag, mel_threshold=0.3, malignant_flag=malignant_flag, malignant_threshold=0.4, duration_ms=5,
    )
    case.status = CaseStatus.AWAITING_REVIEW
    case.save(update_fields=["status"])
    return case


@pytest.fixture
def world(staff, dermatologist, django_capture_on_commit_callbacks):
    """The AI flagged the case for melanoma (top class mel); the dermatologist confirmed it with an excision."""
    return clinical_world(staff=staff, dermatologist=dermatologist, capture_on_commit=django_capture_on_commit_callbacks)


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


# --- the service ----------------------------------------------------------------------------------------------


def test_confirm_with_another_diagnosis_is_refused_not_rewritten(staff, dermatologist, django_capture_on_commit_callbacks):
    # The case: the AI said nevus, the dermatologist chose Melanoma but left "Confirm" ticked.
    case = _case_with_ai(staff, django_capture_on_commit_callbacks, top="nv", p=0.8)
    with pytest.raises(ValidationError) as error:
        services.review_submit(case=case, reviewer=dermatologist, decision="confirm", diagnosis="mel", plan="excision")
    assert "You chose Melanoma but ticked “Confirm the AI's diagnosis”" in error.value.message_dict["diagnosis"][0]
    assert not Review.objects.filter(case=case).exists()
    review = services.review_submit(case=case, reviewer=dermatologist, decision="override", diagnosis="mel", plan="excision")
    assert (review.decision, review.diagnosis, review.ai_diagnosis, review.is_downgrade) == ("override", "mel", "nv", False)


def test_overriding_the_ais_carcinoma_to_benign_needs_a_reason(staff, dermatologist, django_capture_on_commit_callbacks):
    # The case: BCC at 96.7 %, changed to benign keratosis with "Reassure".
    case = _case_with_ai(staff, django_capture_on_commit_callbacks, top="bcc", p=0.967, malignant_flag=True)
    with pytest.raises(ValidationError) as error:
        services.review_submit(case=case, reviewer=dermatologist, decision="override", diagnosis="bkl", plan="reassure")
    assert list(error.value.message_dict) == ["downgrade_reason"]
    assert not Review.objects.filter(case=case).exists()
    review = services.review_submit(case=case, reviewer=dermatologist, decision="override", diagnosis="bkl",
                                    plan="reassure", downgrade_reason="  Stuck-on appearance, milia-like cysts. ")
    assert review.is_downgrade and review.downgraded_from == "bcc"
    assert review.downgrade_of == "AI: Basal cell carcinoma; AI flag: suspicious for malignancy"
    assert review.downgrade_reason == "Stuck-on appearance, milia-like cysts."


def test_a_flag_alone_makes_a_benign_decision_a_downgrade(staff, dermatologist, django_capture_on_commit_callbacks):
    case = _case_with_ai(staff, django_capture_on_commit_callbacks, top="nv", p=0.5, mel_flag=True, malignant_flag=True)
    with pytest.raises(ValidationError):
        services.review_submit(case=case, reviewer=dermatologist, decision="confirm", plan="follow_up", follow_up_months=3)
    review = services.review_submit(case=case, reviewer=dermatologist, decision="confirm", plan="follow_up",
                                    follow_up_months=3, downgrade_reason="Digital follow-up of a flat nevus")
    assert review.diagnosis == "nv" and review.downgrade_of == "AI flag: suspicious for melanoma"
    assert review.downgraded_from == "mel"


def test_malignant_histology_makes_a_benign_decision_a_downgrade(staff, dermatologist, django_capture_on_commit_callbacks):
    import datetime

    case = _case_with_ai(staff, django_capture_on_commit_callbacks, top="nv", p=0.9)
    services.histology_record(case=case, user=staff, diagnosis="mel", reported_on=datetime.date(2026, 11, 2),
                              report_reference="LAB-1")
    with pytest.raises(ValidationError) as error:
        services.review_submit(case=case, reviewer=dermatologist, decision="confirm", plan="excision")
    assert "histology reported Melanoma" in error.value.message_dict["downgrade_reason"][0]
    review = services.review_submit(case=case, reviewer=dermatologist, decision="confirm", plan="excision",
                                    downgrade_reason="Re-excision planned; clinically a nevus")
    assert review.downgrade_of == "histology: Melanoma" and review.downgraded_from == "mel"


# --- the review page --------------------------------------------------------------------------------------------


def test_the_page_refuses_a_contradiction_keeps_the_input_and_stores_nothing(dermatologist_client, world):
    case = world["case"]
    url = reverse("diagnosis:case_review", args=[case.public_id])
    before = Review.objects.count()
    body = {"decision": "confirm", "diagnosis": "nv", "plan": "excision", "notes": "Typed with care"}
    response = dermatologist_client.post(url, body)
    assert response.status_code == 400
    text = html.unescape(response.content.decode())
    assert 'data-testid="review-refused"' in text and "Not saved" in text
    assert "You chose Melanocytic nevus but ticked “Confirm the AI's diagnosis”" in text
    assert '<option value="nv" selected>' in text and "Typed with care</textarea>" in text  # what was typed is kept
    assert Review.objects.count() == before

    response = dermatologist_client.post(url, {**body, "diagnosis": "", "plan": "reassure"})
    assert response.status_code == 400
    assert "“Reassure” does not fit Melanoma" in html.unescape(response.content.decode())
    assert Review.objects.count() == before


def test_the_page_asks_for_the_reason_then_shows_the_downgrade(dermatologist_client, world):
    case = world["case"]
    url = reverse("diagnosis:case_review", args=[case.public_id])
    page = html.unescape(dermatologist_client.get(url).content.decode())
    assert 'data-testid="downgrade-note"' in page and "the AI flagged it as suspicious for melanoma" in page
    body = {"decision": "override", "diagnosis": "nv", "plan": "reassure"}
    refused = dermatologist_client.post(url, body)
    assert refused.status_code == 400
    assert "Not saved without a reason" in html.unescape(refused.content.decode())
    assert Review.objects.filter(case=case).count() == 1
    done = dermatologist_client.post(url, {**body, "downgrade_reason": "Symmetric globular pattern on second look"})
    assert done.status_code == 302
    history = html.unescape(dermatologist_client.get(case.get_absolute_url()).content.decode())
    assert ('data-testid="review-downgrade">Downgrade</span> of review in force: Melanoma; AI: Melanoma; '
            "AI flag: suspicious for melanoma. Reason: Symmetric globular pattern on second look") in history


# --- the API ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"decision": "confirm", "diagnosis": "nv", "plan": "excision"}, "diagnosis", "You chose Melanocytic nevus"),
        ({"decision": "override", "plan": "excision"}, "diagnosis", "choose the diagnosis"),
        ({"decision": "confirm", "plan": "reassure"}, "plan", "“Reassure” does not fit Melanoma"),
        ({"decision": "confirm", "plan": "follow_up", "follow_up_months": 3}, "plan", "“Follow-up” does not fit Melanoma"),
        ({"decision": "override", "diagnosis": "bkl", "plan": "excision"}, "downgrade_reason", "Not saved without a reason"),
    ],
)
def test_the_api_answers_422_with_the_refusal(dermatologist, world, body, field, words):
    case = world["case"]
    before = Review.objects.count()
    response = _api(dermatologist).post(f"/api/cases/{case.public_id}/reviews/", body, format="json")
    assert response.status_code == 422
    data = response.json()
    assert list(data) == [field] and words in data[field][0]
    assert Review.objects.count() == before


def test_the_api_records_and_lists_the_downgrade(dermatologist, world):
    url = f"/api/cases/{world['case'].public_id}/reviews/"
    created = _api(dermatologist).post(url, {"decision": "override", "diagnosis": "bkl", "plan": "follow_up",
                                             "follow_up_months": 6, "downgrade_reason": "Seborrhoeic keratosis"}, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["is_downgrade"] and data["downgraded_from"] == "mel"
    assert data["downgrade_of"] == "review in force: Melanoma; AI: Melanoma; AI flag: suspicious for melanoma"
    rows = _api(dermatologist).get(url).json()
    assert [(row["is_downgrade"], row["downgrade_reason"]) for row in rows] == [(True, "Seborrhoeic keratosis"), (False, "")]


# --- the reports ------------------------------------------------------------------------------------------------


@pytest.fixture
def downgraded(world, dermatologist):
    services.review_submit(case=world["case"], reviewer=dermatologist, decision="override", diagnosis="nv",
                           plan="reassure", downgrade_reason="Benign on dermoscopy")
    return world


DOWNGRADE = "Downgrade of review in force: Melanoma; AI: Melanoma; AI flag: suspicious for melanoma"


def test_the_pdf_states_the_downgrade(client, staff, downgraded):
    client.force_login(staff)
    response = client.get(f"/cases/{downgraded['case'].public_id}/report.pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    assert DOWNGRADE in text and "Benign on dermoscopy" in text


def test_fhir_states_the_downgrade(staff, downgraded):
    api = APIClient()
    api.force_login(staff)
    data = api.get(f"/api/cases/{downgraded['case'].public_id}/fhir/").json()
    Bundle.model_validate(data)
    for entry in data["entry"]:
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    [decision] = [e["resource"] for e in data["entry"]
                  if e["resource"]["resourceType"] == "Observation" and e["resource"]["code"].get("text") == "Dermatologist's diagnosis"]
    components = {c["code"]["text"]: c for c in decision["component"]}
    assert components["Downgrade"]["valueString"] == "review in force: Melanoma; AI: Melanoma; AI flag: suspicious for melanoma"
    assert any(note["text"].startswith(DOWNGRADE) for note in decision["note"])


def test_the_csv_marks_the_downgrade(client, dermatologist, downgraded):
    client.force_login(dermatologist)
    response = client.get("/reports/cases.csv")
    [row] = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert (row["downgrade"], row["downgraded_from"], row["dermatologist_diagnosis"]) == ("yes", "mel", "nv")
    assert row["downgrade_of"] == "review in force: Melanoma; AI: Melanoma; AI flag: suspicious for melanoma"
    assert "Benign on dermoscopy" not in b"".join(client.get("/reports/cases.csv").streaming_content).decode()


def test_the_performance_page_counts_downgrades(client, dermatologist, downgraded, staff, django_capture_on_commit_callbacks):
    other = clinical_world(staff=staff, dermatologist=dermatologist, capture_on_commit=django_capture_on_commit_callbacks)
    assert not other["review"].is_downgrade
    client.force_login(dermatologist)
    response = client.get("/reports/performance/")
    [figures] = response.context["figures"]
    assert (figures.downgrades, figures.reviewed) == (1, 2)
    assert "1 of 2 reviewed cases" in response.content.decode()
