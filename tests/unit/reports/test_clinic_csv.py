"""The clinic's CSV export of cases, decisions and outcomes, for audit: what it says, what it leaves out, who
may have it."""

import csv
import datetime
import io

import pytest

from dermplatform.audit.models import Action, AuditEvent, Outcome
from diagnosis.review import services
from patients import services as patient_services
from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db
URL = "/reports/cases.csv"


def _rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="cases-')
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_one_row_per_case_with_the_ai_the_decision_and_the_outcome(client, staff, dermatologist, world, other_world):
    case, patient = world["case"], world["patient"]
    services.histology_record(case=case, user=staff, diagnosis="nv", reported_on=datetime.date(2026, 11, 2), report_reference="LAB-77")
    new = patient_services.case_create(patient=patient, created_by=staff, body_site="back", clinical_notes="")
    client.force_login(dermatologist)
    reviewed, fresh = _rows(client.get(URL))  # oldest first; the other clinic's case is not there
    assert reviewed["case_id"] == str(case.public_id) and fresh["case_id"] == str(new.public_id)
    assert reviewed["patient_id"] == str(patient.public_id) and reviewed["lesion_id"] == str(case.lesion.public_id)
    assert {k: reviewed[k] for k in ["clinic", "status", "archived", "images", "ai_flag", "ai_top_class", "ai_p_mel"]} == {
        "clinic": patient.clinic.name, "status": "reviewed", "archived": "no", "images": "1", "ai_flag": "mel",
        "ai_top_class": "mel", "ai_p_mel": "0.6000",
    }
    assert reviewed["ai_model"].startswith("test-model (000000000000")
    assert {k: reviewed[k] for k in ["decision", "dermatologist_diagnosis", "plan", "reviewer", "histology_diagnosis", "histology_date"]} == {
        "decision": "confirm", "dermatologist_diagnosis": "mel", "plan": "excision", "reviewer": dermatologist.username,
        "histology_diagnosis": "nv", "histology_date": "2026-11-02",
    }
    assert (reviewed["ai_agrees_with_dermatologist"], reviewed["ai_agrees_with_histology"]) == ("yes", "no")
    assert (fresh["status"], fresh["ai_flag"], fresh["decision"], fresh["ai_agrees_with_dermatologist"]) == ("draft", "", "", "")


def test_no_patient_identifying_text(client, staff, dermatologist, world):
    patient, case = world["patient"], world["case"]
    patient_services.case_update(case=case, user=staff, clinical_notes="Lives at 12 Baker Street")
    services.histology_record(case=case, user=staff, diagnosis="mel", reported_on=datetime.date(2026, 11, 2), report_reference="LAB-SECRET-9")
    client.force_login(dermatologist)
    text = b"".join(client.get(URL).streaming_content).decode()
    for secret in [patient.first_name, patient.last_name, patient.medical_record_number, f"{patient.date_of_birth:%Y-%m-%d}",
                   "Baker Street", "LAB-SECRET-9", "Typical."]:
        assert secret not in text, secret


def test_a_value_never_becomes_a_spreadsheet_formula(client, dermatologist, world):
    dermatologist.username = "=HYPERLINK(1)"
    dermatologist.save()
    client.force_login(dermatologist)
    [row] = _rows(client.get(URL))
    assert row["reviewer"] == "'=HYPERLINK(1)"


def test_admins_export_every_clinic_or_one(client, world, other_world):
    client.force_login(AdminFactory())
    rows = _rows(client.get(URL))
    assert {r["case_id"] for r in rows} == {str(world["case"].public_id), str(other_world["case"].public_id)}
    rows = _rows(client.get(URL, {"clinic": other_world["patient"].clinic_id}))
    assert [r["case_id"] for r in rows] == [str(other_world["case"].public_id)]
    assert client.get(URL, {"clinic": "x"}).status_code == 404


def test_a_dermatologist_cannot_reach_another_clinic(client, dermatologist, world, other_world):
    client.force_login(dermatologist)
    assert _rows(client.get(URL, {"clinic": other_world["patient"].clinic_id})) == []


def test_staff_and_anonymous_are_refused_and_every_try_is_audited(client, staff, dermatologist, world):
    client.force_login(staff)
    assert client.get(URL).status_code == 403
    client.force_login(dermatologist)
    client.get(URL)
    assert list(AuditEvent.objects.filter(action=Action.CASES_EXPORT).order_by("pk").values_list("actor", "outcome")) == [
        (staff.pk, Outcome.DENIED), (dermatologist.pk, Outcome.ALLOWED),
    ]
    client.logout()
    assert client.get(URL).status_code == 302


def test_queries_do_not_grow_with_the_cases(client, dermatologist, staff, django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.clinical_world import clinical_world

    def queries():
        client.force_login(dermatologist)
        with CaptureQueriesContext(connection) as captured:
            b"".join(client.get(URL).streaming_content)
        return len(captured)

    clinical_world(staff=staff, dermatologist=dermatologist, capture_on_commit=django_capture_on_commit_callbacks)
    one = queries()
    for _ in range(4):
        clinical_world(staff=staff, dermatologist=dermatologist, capture_on_commit=django_capture_on_commit_callbacks)
    assert queries() == one
