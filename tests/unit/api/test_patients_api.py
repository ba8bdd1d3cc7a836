"""Patients through the API: create, list (search, archived, pages), read, update, archive."""

import pytest

from patients.models import Patient

from .conftest import assert_no_database_ids, db_state, make_case, make_patient

NEW_PATIENT = {
    "medical_record_number": " MRN-77 ",
    "first_name": "Rosalind",
    "last_name": "Franklin",
    "date_of_birth": "1960-07-25",
    "sex": "female",
}


@pytest.fixture
def staff_api(api_as, staff):
    return api_as(staff)


def test_create_patient(staff_api, staff):
    response = staff_api.post("/api/patients/", NEW_PATIENT, format="json")
    assert response.status_code == 201
    body = response.json()
    assert_no_database_ids(body)
    patient = Patient.objects.get(public_id=body["public_id"])
    assert patient.clinic == staff.clinic and patient.created_by == staff
    assert body["medical_record_number"] == "MRN-77"
    assert body["url"].endswith(f"/api/patients/{patient.public_id}/")
    assert "clinic" not in body


def test_create_patient_ignores_a_clinic_in_the_body(staff_api, staff, other_clinic):
    response = staff_api.post("/api/patients/", {**NEW_PATIENT, "clinic": other_clinic.pk}, format="json")
    assert response.status_code == 201
    assert Patient.objects.get().clinic == staff.clinic


def test_create_patient_field_errors(staff_api):
    response = staff_api.post("/api/patients/", {**NEW_PATIENT, "date_of_birth": "yesterday", "sex": "x"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"date_of_birth", "sex"}
    assert not Patient.objects.exists()


def test_duplicate_record_number_is_a_conflict(staff_api, patient):
    before = db_state()
    response = staff_api.post("/api/patients/", {**NEW_PATIENT, "medical_record_number": patient.medical_record_number}, format="json")
    assert response.status_code == 409
    assert "already exists" in response.json()["medical_record_number"][0]
    assert db_state() == before


def test_same_record_number_in_another_clinic_is_fine(staff_api, other_patient):
    response = staff_api.post("/api/patients/", {**NEW_PATIENT, "medical_record_number": other_patient.medical_record_number}, format="json")
    assert response.status_code == 201


def test_search_by_record_number_and_name(staff_api, staff):
    ada = make_patient(staff, mrn="A-1", first_name="Ada", last_name="Lovelace")
    make_patient(staff, mrn="B-2", first_name="Charles", last_name="Babbage")

    def found(term):
        return [row["public_id"] for row in staff_api.get("/api/patients/", {"search": term}).json()["results"]]

    assert found("A-1") == [str(ada.public_id)]
    assert found("love") == [str(ada.public_id)]
    assert len(found("")) == 2
    assert found("nobody") == []


def test_archived_patients_are_listed_only_on_request(staff_api, staff, patient):
    response = staff_api.post(f"/api/patients/{patient.public_id}/archive/", {"reason": "Duplicate record"}, format="json")
    assert response.status_code == 200
    assert response.json()["is_archived"] is True
    assert staff_api.get("/api/patients/").json()["count"] == 0
    rows = staff_api.get("/api/patients/", {"include_archived": "1"}).json()["results"]
    assert [row["public_id"] for row in rows] == [str(patient.public_id)]
    assert rows[0]["archive_reason"] == "Duplicate record"


def test_pagination(staff_api, staff):
    for n in range(27):
        make_patient(staff, mrn=f"P-{n:02d}", last_name=f"Name{n:02d}")
    first = staff_api.get("/api/patients/").json()
    assert first["count"] == 27 and len(first["results"]) == 25 and first["next"]
    second = staff_api.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None


def test_retrieve(staff_api, patient):
    body = staff_api.get(f"/api/patients/{patient.public_id}/").json()
    assert body["public_id"] == str(patient.public_id)
    assert body["first_name"] == "Ada"
    assert_no_database_ids(body)


def test_unknown_patient_is_404(staff_api):
    assert staff_api.get("/api/patients/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_update(staff_api, patient):
    response = staff_api.patch(f"/api/patients/{patient.public_id}/", {"last_name": " Byron ", "sex": "other"}, format="json")
    assert response.status_code == 200
    patient.refresh_from_db()
    assert (patient.last_name, patient.sex, patient.first_name) == ("Byron", "other", "Ada")


def test_update_to_taken_record_number_is_a_conflict(staff_api, staff, patient):
    make_patient(staff, mrn="TAKEN")
    response = staff_api.patch(f"/api/patients/{patient.public_id}/", {"medical_record_number": "TAKEN"}, format="json")
    assert response.status_code == 409
    # patient_update reports the unique constraint as a non-field error (patient_create names the field).
    assert "already exists" in str(response.json())
    patient.refresh_from_db()
    assert patient.medical_record_number == "OWN-001"


def test_archived_patient_cannot_be_changed(staff_api, staff, patient):
    staff_api.post(f"/api/patients/{patient.public_id}/archive/", {"reason": "Deceased"}, format="json")
    before = db_state()
    response = staff_api.patch(f"/api/patients/{patient.public_id}/", {"first_name": "X"}, format="json")
    assert response.status_code == 409
    assert response.json() == {"errors": ["An archived patient cannot be changed."]}
    assert db_state() == before


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_archive_needs_a_reason(staff_api, patient, body):
    response = staff_api.post(f"/api/patients/{patient.public_id}/archive/", body, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    patient.refresh_from_db()
    assert not patient.is_archived


def test_archive_takes_open_cases_along(staff_api, staff, patient):
    case = make_case(staff, patient)
    staff_api.post(f"/api/patients/{patient.public_id}/archive/", {"reason": "Moved away"}, format="json")
    case.refresh_from_db()
    assert case.is_archived and "Moved away" in case.archive_reason


def test_archiving_twice_is_a_conflict(staff_api, patient):
    staff_api.post(f"/api/patients/{patient.public_id}/archive/", {"reason": "One"}, format="json")
    response = staff_api.post(f"/api/patients/{patient.public_id}/archive/", {"reason": "Two"}, format="json")
    assert response.status_code == 409
    assert response.json() == {"errors": ["Already archived."]}


def test_dermatologist_reads_patients(api_as, dermatologist, patient):
    client = api_as(dermatologist)
    assert client.get("/api/patients/").json()["count"] == 1
    assert client.get(f"/api/patients/{patient.public_id}/").status_code == 200
