"""Reads of clinical data in the Django admin leave one audit event each, like page and API reads: the changelist,
a record's page, a search (its term only as a keyed hash, with the number of results), the admin's change log and
the value history."""

import pytest
from django.contrib import admin
from django.db import connection

from dermplatform.audit.admin_reads import AuditedReadsAdmin, search_digest
from dermplatform.audit.models import Action, AuditEvent, Outcome

pytestmark = pytest.mark.django_db


def _one_event(new_events, response, status=200):
    assert response.status_code == status
    [event] = new_events()
    assert event.outcome == Outcome.ALLOWED and event.status_code == status and event.method == "GET"
    assert event.client_address == "127.0.0.1" and event.request_id == response["X-Request-ID"]
    return event


def test_the_patient_changelist_records_one_list_event(admin_client_, admin_user, classified, new_events):
    new_events()
    event = _one_event(new_events, admin_client_.get("/admin/patients/patient/"))
    assert (event.actor, event.action, event.object_type, event.object_id) == (admin_user, Action.ADMIN_LIST,
                                                                               "patient", None)
    assert event.result_count == 1 and event.search_digest == ""


def test_a_patients_page_records_one_view_of_that_patient(admin_client_, admin_user, classified, new_events):
    patient = classified["patient"]
    new_events()
    event = _one_event(new_events, admin_client_.get(f"/admin/patients/patient/{patient.pk}/change/"))
    assert (event.actor, event.action, event.object_type, event.object_id) == (admin_user, Action.ADMIN_VIEW,
                                                                               "patient", patient.public_id)


def test_a_search_records_the_count_and_a_keyed_hash_never_the_term(admin_client_, classified, new_events):
    new_events()
    event = _one_event(new_events, admin_client_.get("/admin/patients/patient/", {"q": "Nightingale"}))
    assert (event.action, event.object_type, event.result_count) == (Action.ADMIN_SEARCH, "patient", 1)
    assert event.search_digest == search_digest("  nightingale ") and len(event.search_digest) == 64
    row = AuditEvent.objects.filter(pk=event.pk).values()[0]
    assert not any("nightingale" in str(value).lower() for value in row.values())

    other = _one_event(new_events, admin_client_.get("/admin/patients/patient/", {"q": "Seacole"}))
    assert other.result_count == 0 and other.search_digest != event.search_digest


def test_the_admin_change_log_of_a_case_is_recorded(admin_client_, classified, new_events):
    case = classified["case"]
    new_events()
    event = _one_event(new_events, admin_client_.get(f"/admin/patients/case/{case.pk}/history/"))
    assert (event.action, event.object_type, event.object_id) == (Action.ADMIN_HISTORY, "case", case.public_id)


@pytest.mark.parametrize("path,key", [
    ("patients/lesionimage", "image"), ("diagnosis/prediction", "prediction"), ("diagnosis/review", None),
])
def test_images_predictions_and_reviews_are_recorded_too(admin_client_, classified, new_events, path, key):
    new_events()
    event = _one_event(new_events, admin_client_.get(f"/admin/{path}/"))
    assert event.action == Action.ADMIN_LIST
    if key is not None:
        obj = classified[key]
        event = _one_event(new_events, admin_client_.get(f"/admin/{path}/{obj.pk}/change/"))
        assert (event.action, event.object_type, event.object_id) == (Action.ADMIN_VIEW, key, obj.public_id)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the value history is kept by PostgreSQL triggers")
def test_a_records_value_history_is_recorded_as_read_of_that_record(admin_client_, classified, new_events):
    patient = classified["patient"]
    new_events()
    # The patient's "Value history" link: its event list searched by the patient's id.
    event = _one_event(new_events, admin_client_.get("/admin/patients/patientevent/", {"q": patient.pk}))
    assert (event.action, event.object_type, event.object_id) == (Action.VALUE_HISTORY, "patient", patient.public_id)
    assert event.search_digest == ""

    row = patient.pgh_event_model.objects.filter(pgh_obj=patient).first()
    event = _one_event(new_events, admin_client_.get(f"/admin/patients/patientevent/{row.pk}/change/"))
    assert (event.action, event.object_type, event.object_id) == (Action.VALUE_HISTORY, "patient", patient.public_id)

    event = _one_event(new_events, admin_client_.get("/admin/patients/patientevent/"))
    assert (event.action, event.object_type, event.object_id) == (Action.VALUE_HISTORY, "patient", None)


def test_every_clinical_admin_is_audited():
    clinical_apps = {"patients", "diagnosis"}
    unaudited = [
        model._meta.label for model, model_admin in admin.site._registry.items()
        if (model._meta.app_label in clinical_apps or hasattr(model, "pgh_obj"))
        and model._meta.label != "diagnosis.ModelVersion"  # the model registry: no patient data (drift: audited)
        and not isinstance(model_admin, AuditedReadsAdmin)
    ]
    assert unaudited == []
