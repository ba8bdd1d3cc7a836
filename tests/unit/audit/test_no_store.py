"""No browser or proxy keeps patient data: every patient page and API answer, image bytes included, says
`Cache-Control: private, no-store`."""

import pytest
from django.urls import reverse

from dermplatform.audit.routes import AUDITED_ROUTES

pytestmark = pytest.mark.django_db


def _url(name, objects):
    kind = AUDITED_ROUTES[name].get("GET", next(iter(AUDITED_ROUTES[name].values())))[1]
    if not kind:
        return reverse(name)
    key = "public_id" if name != "patients:case_create" else "patient_id"
    return reverse(name, kwargs={key: objects[kind].public_id})


@pytest.mark.parametrize("name", sorted(n for n, methods in AUDITED_ROUTES.items() if "GET" in methods))
def test_every_patient_read_is_no_store(client, staff, dermatologist, classified, name):
    reader = dermatologist if name.startswith(
        ("diagnosis:", "diagnosis_api:review_queue", "diagnosis_api:case_claim", "diagnosis_api:reviews_made",
         "reports:clinic_", "reports:performance", "reports_api:clinic_", "reports_api:performance", "validation:")
    ) else staff
    if name.startswith("validation:"):
        from diagnosis.models import ValidationRun

        classified = {**classified, "validationrun": ValidationRun.objects.create(
            clinic=dermatologist.clinic, model_version=classified["prediction"].model_version, source="upload",
            created_by=dermatologist)}
    client.force_login(reader)
    response = client.get(_url(name, classified))
    assert response.status_code == 200, name
    assert response["Cache-Control"] == "private, no-store"


def test_refusals_and_writes_are_no_store_too(client, api, staff, patient):
    assert api.get(f"/api/patients/{patient.public_id}/")["Cache-Control"] == "private, no-store"  # 401
    client.force_login(staff)
    response = client.post(f"/patients/{patient.public_id}/archive/", {"reason": "Moved"})
    assert response.status_code == 302 and response["Cache-Control"] == "private, no-store"
    assert client.get("/admin/")["Cache-Control"] == "private, no-store"


def test_static_files_stay_cacheable(client):
    response = client.get("/static/css/app.css")
    assert "no-store" not in response.get("Cache-Control", "")
