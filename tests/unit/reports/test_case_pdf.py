"""The case report as a PDF: opened with pypdf and read as a referring doctor would; who may have it; audited."""

import datetime
import io

import pytest
from pypdf import PdfReader
from rest_framework.test import APIClient

from dermplatform.audit.models import Action, AuditEvent, Outcome
from diagnosis.review import services
from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


def _pdf_url(case):
    return f"/cases/{case.public_id}/report.pdf"


def _api_url(case):
    return f"/api/cases/{case.public_id}/report.pdf"


def _text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _pictures(content: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(content)).pages)


def test_the_report_says_who_what_and_what_was_decided(client, staff, world):
    case, patient, review = world["case"], world["patient"], world["review"]
    case.lesion.label = "6 mm pigmented"
    case.lesion.save()
    client.force_login(staff)
    response = client.get(_pdf_url(case))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="case-{case.public_id}.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    text = _text(response.content)
    for expected in [
        str(patient.clinic), patient.full_name, patient.medical_record_number, f"{patient.date_of_birth:%Y-%m-%d}",
        "6 mm pigmented", str(case.public_id),
        "Suspicious for melanoma: consider excision or biopsy",  # the AI's flag (P(mel) 0.6 ≥ 0.3)
        "test-model, version 000000000000",  # model name and version
        "Confirm the AI's diagnosis", "Melanoma", "Excision", "Typical.",  # decision, plan, notes
    ]:
        assert expected in text, expected
    assert "Histopathology" not in text  # none entered yet
    assert text.index("Dermatologist: Melanoma") < text.index("Patient")  # the decision is the headline
    assert _pictures(response.content) == 2  # the image and its heat-map


def test_histology_leads_when_present(client, staff, dermatologist, world):
    case = world["case"]
    services.histology_record(
        case=case, user=staff, diagnosis="nv", reported_on=datetime.date(2026, 11, 2), report_reference="LAB-77"
    )
    client.force_login(dermatologist)
    text = _text(client.get(_pdf_url(case)).content)
    headline, decision, ai = (text.index(s) for s in ("Histology: Melanocytic nevus", "Dermatologist's decision", "AI second opinion"))
    assert headline < text.index("Patient") and headline < decision < ai
    assert "LAB-77" in text and "2026-11-02" in text


def test_a_case_without_images_still_has_a_report(client, staff, dermatologist, world):
    from patients import services as patient_services

    case = patient_services.case_create(patient=world["patient"], created_by=staff, body_site="back", clinical_notes="")
    client.force_login(dermatologist)
    response = client.get(_pdf_url(case))
    assert response.status_code == 200
    text = _text(response.content)
    assert "No result yet" in text and "Not reviewed yet" in text and "No AI opinion yet" in text
    assert _pictures(response.content) == 0


@pytest.mark.parametrize("reader", ["staff", "dermatologist"])
def test_the_api_gives_the_same_report(request, world, reader):
    api = APIClient()
    api.force_login(request.getfixturevalue(reader))
    response = api.get(_api_url(world["case"]), HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert world["patient"].medical_record_number in _text(response.content)
    assert response["Cache-Control"] == "private, no-store"


# --- three people: the clinic's staff and dermatologist, another role (admin), another clinic ----------------


@pytest.mark.parametrize("reader", ["staff", "dermatologist"])
def test_the_clinic_reads_it_and_it_is_audited(client, request, world, reader):
    user = request.getfixturevalue(reader)
    client.force_login(user)
    assert client.get(_pdf_url(world["case"])).status_code == 200
    event = AuditEvent.objects.get(action=Action.REPORT_PDF)
    assert (event.actor, event.object_type, event.object_id, event.outcome) == (user, "case", world["case"].public_id, Outcome.ALLOWED)


@pytest.mark.parametrize("outsider", ["outsider_staff", "outsider_dermatologist"])
def test_another_clinic_does_not_find_it(client, request, world, outsider):
    user = request.getfixturevalue(outsider)
    client.force_login(user)
    assert client.get(_pdf_url(world["case"])).status_code == 404
    api = APIClient()
    api.force_login(user)
    response = api.get(_api_url(world["case"]), HTTP_ACCEPT="application/pdf")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    denied = AuditEvent.objects.filter(action=Action.REPORT_PDF, outcome=Outcome.DENIED, actor=user)
    assert denied.count() == 2


def test_admins_and_anonymous_are_refused(client, world):
    client.force_login(AdminFactory())
    assert client.get(_pdf_url(world["case"])).status_code == 403
    api = APIClient()
    api.force_login(AdminFactory())
    assert api.get(_api_url(world["case"])).status_code == 403
    assert APIClient().get(_api_url(world["case"])).status_code == 401
    client.logout()
    response = APIClient().get(_pdf_url(world["case"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_case_page_links_to_it(client, staff, world):
    client.force_login(staff)
    page = client.get(f"/cases/{world['case'].public_id}/").content.decode()
    assert f'href="{_pdf_url(world["case"])}"' in page


def test_the_reviewer_is_named_in_full_never_by_user_name(client, staff, dermatologist, world):
    client.force_login(staff)
    text = _text(client.get(_pdf_url(world["case"])).content)
    assert f"Dermatologist {dermatologist.first_name} {dermatologist.last_name} on " in text
    assert dermatologist.username not in text


def test_the_demo_dermatologist_is_named_in_full(client, django_capture_on_commit_callbacks):
    from django.core.management import call_command

    from dermplatform.accounts.models import User
    from tests.clinical_world import clinical_world

    call_command("seed_demo", stdout=io.StringIO())
    staff, derm = User.objects.get(username="staff"), User.objects.get(username="derm")
    world = clinical_world(staff=staff, dermatologist=derm, capture_on_commit=django_capture_on_commit_callbacks)
    client.force_login(staff)
    text = _text(client.get(_pdf_url(world["case"])).content)
    assert "Dermatologist Dana Moreau on " in text


def test_an_account_without_a_full_name_is_marked_as_such(client, staff, dermatologist, world):
    dermatologist.first_name = dermatologist.last_name = ""
    dermatologist.save()
    client.force_login(staff)
    text = _text(client.get(_pdf_url(world["case"])).content)
    assert f"Dermatologist {dermatologist.username} (no full name on record) on " in text
