"""Cases through the API: open, filter, read with images, update, archive."""

import pytest

from patients.models import Case, CaseStatus

from .conftest import assert_no_database_ids, db_state, make_case, make_image, make_patient


@pytest.fixture
def staff_api(api_as, staff):
    return api_as(staff)


def test_create_case(staff_api, staff, patient):
    response = staff_api.post(
        "/api/cases/",
        {"patient": str(patient.public_id), "body_site": "upper extremity", "clinical_notes": " Itchy "},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert_no_database_ids(body)
    case = Case.objects.get(public_id=body["public_id"])
    assert (case.patient, case.body_site, case.clinical_notes, case.created_by) == (patient, "upper extremity", "Itchy", staff)
    assert body["patient"] == str(patient.public_id)
    assert body["status"] == CaseStatus.DRAFT
    assert body["images"] == []


def test_create_case_for_another_clinics_patient_is_refused(staff_api, other_patient):
    before = db_state()
    response = staff_api.post("/api/cases/", {"patient": str(other_patient.public_id), "body_site": "back"}, format="json")
    assert response.status_code == 422  # the schema allows any uuid: a rule refuses it
    assert response.json() == {"patient": ["No such patient."]}
    assert db_state() == before


@pytest.mark.parametrize(
    "body, field, status",
    [
        ({"body_site": "back"}, "patient", 400),
        ({"patient": "not-a-uuid", "body_site": "back"}, "patient", 400),
        ({"patient": "PATIENT", "body_site": "elbow"}, "body_site", 400),
        ({"patient": "PATIENT"}, "body_site", 422),  # required without a lesion: a rule across two fields
    ],
)
def test_create_case_field_errors(staff_api, patient, body, field, status):
    body = {key: str(patient.public_id) if value == "PATIENT" else value for key, value in body.items()}
    response = staff_api.post("/api/cases/", body, format="json")
    assert response.status_code == status
    assert field in response.json()
    assert not Case.objects.exists()


def test_no_case_for_an_archived_patient(staff_api, staff, patient):
    staff_api.post(f"/api/patients/{patient.public_id}/archive/", {"reason": "Moved"}, format="json")
    response = staff_api.post("/api/cases/", {"patient": str(patient.public_id), "body_site": "back"}, format="json")
    assert response.status_code == 409
    assert response.json() == {"errors": ["Cases cannot be opened for an archived patient."]}
    assert not Case.objects.exists()


def test_filters(staff_api, staff, patient):
    other = make_patient(staff, mrn="OTHER")
    back = make_case(staff, patient, body_site="back")
    face = make_case(staff, patient, body_site="face")
    theirs = make_case(staff, other, body_site="back")
    make_image(staff, face)  # status -> awaiting_ai

    def ids(**params):
        return {row["public_id"] for row in staff_api.get("/api/cases/", params).json()["results"]}

    assert ids() == {str(c.public_id) for c in (back, face, theirs)}
    assert ids(patient=patient.public_id) == {str(back.public_id), str(face.public_id)}
    assert ids(body_site="back") == {str(back.public_id), str(theirs.public_id)}
    assert ids(status="awaiting_ai") == {str(face.public_id)}
    assert ids(patient=patient.public_id, status="draft", body_site="back") == {str(back.public_id)}


@pytest.mark.parametrize("params", [{"status": "bogus"}, {"body_site": "elbow"}, {"patient": "not-a-uuid"}])
def test_bad_filter_values_are_400(staff_api, case, params):
    response = staff_api.get("/api/cases/", params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_archived_cases_only_on_request(staff_api, case):
    staff_api.post(f"/api/cases/{case.public_id}/archive/", {"reason": "Wrong patient"}, format="json")
    assert staff_api.get("/api/cases/").json()["count"] == 0
    assert staff_api.get("/api/cases/", {"include_archived": "true"}).json()["count"] == 1


def test_detail_includes_images(staff_api, staff, case):
    first = make_image(staff, case, color=(1, 2, 3))
    second = make_image(staff, case, color=(200, 2, 3))
    body = staff_api.get(f"/api/cases/{case.public_id}/").json()
    assert [image["public_id"] for image in body["images"]] == [str(first.public_id), str(second.public_id)]
    assert body["images"][0]["content_url"].endswith(f"/api/images/{first.public_id}/content/")
    assert_no_database_ids(body)


def test_update(staff_api, case):
    response = staff_api.patch(f"/api/cases/{case.public_id}/", {"body_site": "neck"}, format="json")
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.body_site == "neck" and case.clinical_notes == "Changing naevus."


def test_update_cannot_set_status(staff_api, case):
    response = staff_api.patch(f"/api/cases/{case.public_id}/", {"status": "reviewed"}, format="json")
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT


def test_update_bad_body_site(staff_api, case):
    response = staff_api.patch(f"/api/cases/{case.public_id}/", {"body_site": "elbow"}, format="json")
    assert response.status_code == 400
    assert "body_site" in response.json()


def test_archive(staff_api, staff, case):
    response = staff_api.post(f"/api/cases/{case.public_id}/archive/", {"reason": "Entered twice"}, format="json")
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.is_archived and case.archived_by == staff and case.archive_reason == "Entered twice"
    response = staff_api.patch(f"/api/cases/{case.public_id}/", {"clinical_notes": "x"}, format="json")
    assert response.status_code == 409
    assert response.json() == {"errors": ["An archived case cannot be changed."]}


def test_archive_needs_a_reason(staff_api, case):
    response = staff_api.post(f"/api/cases/{case.public_id}/archive/", {}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    case.refresh_from_db()
    assert not case.is_archived
