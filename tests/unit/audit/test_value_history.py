"""Writes keep the old and new values of changed fields (dermplatform.audit.history, django-pghistory): PostgreSQL
triggers copy each tracked row on insert, update and delete, whoever writes, with the acting user and the request id
of the audit trail; the copies cannot be changed or deleted; platform admins read them in the admin."""

import datetime

import pghistory.core
import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from knox.models import AuthToken

from dermplatform.accounts.models import Clinic, User
from dermplatform.audit.models import Action, AuditEvent, ValueChange
from patients.models import LesionImage, StoredFile
from tests.unit.api.conftest import make_case, make_image, make_patient

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the history is kept by PostgreSQL triggers"),
]


def _history(obj, label=None):
    events = ValueChange.objects.tracks(obj).order_by("pgh_id")
    return list(events.filter(pgh_label=label) if label else events)


def test_an_edit_on_the_page_keeps_old_and_new_values_with_the_editor_and_request(client, staff):
    patient = make_patient(staff, mrn="H-1", first_name="Mary", last_name="Seacole", date_of_birth=datetime.date(1960, 1, 2))
    client.force_login(staff)
    response = client.post(f"/patients/{patient.public_id}/edit/", {
        "medical_record_number": "H-1", "first_name": "Mary Jane", "last_name": "Seacole",
        "date_of_birth": "1960-01-03", "sex": "female",
    })
    assert response.status_code == 302

    [created] = _history(patient, "insert")
    assert created.pgh_data["first_name"] == "Mary"
    [updated] = _history(patient, "update")
    assert updated.pgh_diff == {
        "first_name": ["Mary", "Mary Jane"],
        "date_of_birth": ["1960-01-02", "1960-01-03"],
        "updated_at": updated.pgh_diff["updated_at"],  # auto_now: moves with any change
    }
    assert updated.user_id == staff.pk
    assert updated.request_id == response["X-Request-ID"]
    # The same request's audit event: who did it, from where, naming fields only.
    audit = AuditEvent.objects.get(request_id=updated.request_id)
    assert (audit.action, audit.object_id, audit.actor_id) == (Action.PATIENT_UPDATE, patient.public_id, staff.pk)
    assert "Mary" not in repr(list(audit.__dict__.values()))


def test_an_api_write_with_a_token_names_the_user_authenticated_in_the_view(client, staff):
    patient = make_patient(staff, mrn="H-2", first_name="Ada", last_name="Lovelace")
    _, token = AuthToken.objects.create(staff)
    response = client.patch(
        f"/api/patients/{patient.public_id}/", {"last_name": "Byron"}, content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert response.status_code == 200, response.content
    [updated] = _history(patient, "update")
    assert updated.pgh_diff["last_name"] == ["Lovelace", "Byron"]
    assert (updated.user_id, updated.request_id) == (staff.pk, response["X-Request-ID"])


def test_a_raw_sql_update_that_bypasses_the_orm_is_recorded(staff):
    patient = make_patient(staff, mrn="H-3", first_name="Grace", last_name="Hopper")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE patients_patient SET last_name = 'Murray' WHERE id = %s", [patient.pk])
    [updated] = _history(patient, "update")
    assert updated.pgh_diff == {"last_name": ["Hopper", "Murray"]}
    assert updated.user_id is None and updated.request_id is None  # no request: nobody to name


def test_a_save_that_changes_nothing_records_nothing(staff):
    patient = make_patient(staff, mrn="H-4")
    patient.save()  # updated_at moves, nothing else
    assert _history(patient, "update") == []


def test_deletes_are_recorded_with_the_last_values():
    clinic = Clinic.objects.create(name="Short-lived clinic")
    clinic_id = clinic.pk
    clinic.delete()
    deleted = ValueChange.objects.across("accounts.ClinicEvent").filter(pgh_obj_id=str(clinic_id), pgh_label="delete")
    assert [event.pgh_data["name"] for event in deleted] == ["Short-lived clinic"]


def test_account_history_keeps_role_and_clinic_but_never_the_password(staff, other_clinic):
    staff.set_password("a-new-secret-pass-42")
    staff.save()
    assert _history(staff, "update") == []  # a password change alone is not copied
    old_clinic = staff.clinic_id
    staff.clinic = other_clinic
    staff.is_active = False
    staff.save()
    [updated] = _history(staff, "update")
    assert updated.pgh_diff == {"clinic_id": [old_clinic, other_clinic.pk], "is_active": [True, False]}
    columns = {field.column for field in User.pgh_event_model._meta.fields}
    assert "password" not in columns and "last_login" not in columns


def test_image_bytes_are_not_copied_into_the_history(staff):
    patient = make_patient(staff, mrn="H-5")
    image = make_image(staff, make_case(staff, patient))
    [created] = _history(image, "insert")
    assert created.pgh_data["sha256"] == image.sha256
    assert "image" not in created.pgh_data and "thumbnail" not in created.pgh_data
    assert StoredFile not in {model.pgh_tracked_model for model in pghistory.core.event_models()}
    tables = [model._meta.db_table for model in pghistory.core.event_models()]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_name = ANY(%s) AND data_type = 'bytea'", [tables],
        )
        assert cursor.fetchall() == []
    assert LesionImage.pgh_event_model._meta.db_table in tables


@pytest.mark.parametrize("sql", [
    "UPDATE patients_patientevent SET first_name = 'Forged' WHERE pgh_obj_id = %s",
    "DELETE FROM patients_patientevent WHERE pgh_obj_id = %s",
])
def test_the_database_refuses_to_change_or_delete_history(staff, sql):
    patient = make_patient(staff, mrn="H-6", first_name="Ada")
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic(), connection.cursor() as c:
        c.execute(sql, [patient.pk])
    [created] = _history(patient)
    assert created.pgh_data["first_name"] == "Ada"


def test_every_history_table_is_append_only():
    tables = {model._meta.db_table for model in pghistory.core.event_models()}
    assert len(tables) == 9  # clinic, user, patient, lesion, case, image, prediction, review, histology
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE 'pgtrigger_append_only_%%' AND t.tgenabled = 'O'"
        )
        protected = {row[0] for row in cursor.fetchall()}
    assert tables <= protected


def test_a_prediction_changed_behind_the_applications_back_is_recorded(classified):
    prediction = classified["prediction"]
    assert _history(prediction) == []  # written once by the worker: nothing copied
    with connection.cursor() as cursor:
        cursor.execute("UPDATE diagnosis_prediction SET top_class = 'forged' WHERE id = %s", [prediction.pk])
    before, after = _history(prediction)
    assert (before.pgh_label, after.pgh_label) == ("before_update", "update")
    assert after.pgh_diff == {"top_class": [prediction.top_class, "forged"]}


def test_a_task_names_itself_on_the_rows_it_writes(staff, active_model):
    from diagnosis.tasks import classify_image

    image = make_image(staff, make_case(staff, make_patient(staff, mrn="H-9")))
    result = classify_image.apply(args=[image.pk], task_id="task-under-test")
    assert result.successful(), result.traceback
    status_change = [event for event in _history(image.case, "update") if "status" in event.pgh_diff][-1]
    assert status_change.pgh_diff["status"][1] == "awaiting_review"  # the AI's opinion is in: the worker moved it
    assert status_change.pgh_context == {"task": "diagnosis.tasks.classify_image", "task_id": "task-under-test"}
    assert status_change.user_id is None


def test_platform_admins_read_the_history_in_the_admin(admin_client_, staff, dermatologist):
    patient = make_patient(staff, mrn="H-7", first_name="Florence", last_name="Nightingale")
    make_patient(staff, mrn="H-8", first_name="Mary", last_name="Seacole")
    clinic_client = Client()
    clinic_client.force_login(staff)
    response = clinic_client.post(f"/patients/{patient.public_id}/edit/", {
        "medical_record_number": "H-7", "first_name": "Flo", "last_name": "Nightingale", "date_of_birth": "1970-05-17",
        "sex": "female",
    })
    assert response.status_code == 302
    request_id = response["X-Request-ID"]

    for term in (str(patient.public_id), str(patient.pk), request_id):
        listing = admin_client_.get("/admin/patients/patientevent/", {"q": term})
        assert listing.status_code == 200
        page = listing.content.decode()
        assert "<li>first_name: Florence → Flo</li>" in page
        assert staff.username in page and request_id in page
        assert "Seacole" not in page  # the other patient's rows are filtered out
    by_user = admin_client_.get("/admin/patients/patientevent/", {"user": staff.pk, "change": "update"}).content.decode()
    assert "Florence → Flo" in by_user and "(created)" not in by_user

    [updated] = _history(patient, "update")
    detail = admin_client_.get(f"/admin/patients/patientevent/{updated.pgh_id}/change/")
    assert detail.status_code == 200 and "Florence → Flo" in detail.content.decode()
    assert b'name="_save"' not in detail.content
    assert admin_client_.post(f"/admin/patients/patientevent/{updated.pgh_id}/delete/", {"post": "yes"}).status_code == 403
    record_page = admin_client_.get(f"/admin/patients/patient/{patient.pk}/change/").content.decode()
    assert f'href="/admin/patients/patientevent/?q={patient.pk}"' in record_page  # the record links to its history
    for path in ("/admin/accounts/userevent/", "/admin/diagnosis/predictionevent/", "/admin/patients/lesionimageevent/"):
        assert admin_client_.get(path).status_code == 200

    for person in (staff, dermatologist):
        clinic_client.force_login(person)
        response = clinic_client.get("/admin/patients/patientevent/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
