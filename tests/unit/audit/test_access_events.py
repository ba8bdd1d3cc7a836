"""Every read of patient data leaves one audit event, pages and API alike; another clinic's ids are recorded as
denied; the event names the object by type and public id only."""

import pytest

from dermplatform.audit.models import Action, Outcome

pytestmark = pytest.mark.django_db

# (role, url, action, object type) — `o` holds the classified patient, case, image and prediction.
PAGE_READS = [
    ("staff", lambda o: "/patients/", Action.PATIENT_LIST, None),
    ("staff", lambda o: f"/patients/{o['patient'].public_id}/", Action.PATIENT_VIEW, "patient"),
    ("staff", lambda o: f"/patients/{o['patient'].public_id}/edit/", Action.PATIENT_VIEW, "patient"),
    ("staff", lambda o: f"/patients/{o['patient'].public_id}/cases/new/", Action.PATIENT_VIEW, "patient"),
    ("staff", lambda o: f"/cases/{o['case'].public_id}/", Action.CASE_VIEW, "case"),
    ("staff", lambda o: f"/cases/{o['case'].public_id}/edit/", Action.CASE_VIEW, "case"),
    ("staff", lambda o: f"/images/{o['image'].public_id}/content/", Action.IMAGE_CONTENT, "image"),
    ("staff", lambda o: f"/images/{o['image'].public_id}/thumbnail/", Action.IMAGE_THUMBNAIL, "image"),
    ("dermatologist", lambda o: f"/review/predictions/{o['prediction'].public_id}/heatmap/", Action.HEATMAP_VIEW,
     "prediction"),
    ("dermatologist", lambda o: "/review/", Action.QUEUE_VIEW, None),
    ("dermatologist", lambda o: f"/review/cases/{o['case'].public_id}/", Action.CASE_VIEW, "case"),
]
API_READS = [
    ("staff", lambda o: "/api/patients/", Action.PATIENT_LIST, None),
    ("staff", lambda o: f"/api/patients/{o['patient'].public_id}/", Action.PATIENT_VIEW, "patient"),
    ("staff", lambda o: "/api/cases/", Action.CASE_LIST, None),
    ("staff", lambda o: f"/api/cases/{o['case'].public_id}/", Action.CASE_VIEW, "case"),
    ("staff", lambda o: f"/api/cases/{o['case'].public_id}/images/", Action.IMAGE_LIST, "case"),
    ("staff", lambda o: f"/api/images/{o['image'].public_id}/", Action.IMAGE_VIEW, "image"),
    ("staff", lambda o: f"/api/images/{o['image'].public_id}/content/", Action.IMAGE_CONTENT, "image"),
    ("staff", lambda o: f"/api/images/{o['image'].public_id}/thumbnail/", Action.IMAGE_THUMBNAIL, "image"),
    ("staff", lambda o: f"/api/cases/{o['case'].public_id}/ai/", Action.PREDICTION_VIEW, "case"),
    ("staff", lambda o: f"/api/cases/{o['case'].public_id}/reviews/", Action.REVIEW_LIST, "case"),
    ("staff", lambda o: f"/api/predictions/{o['prediction'].public_id}/heatmap/", Action.HEATMAP_VIEW, "prediction"),
    ("dermatologist", lambda o: "/api/review-queue/", Action.QUEUE_VIEW, None),
]
READS = [pytest.param(*r, id=f"page-{r[2]}-{n}") for n, r in enumerate(PAGE_READS)] + [
    pytest.param(*r, id=f"api-{r[2]}-{n}") for n, r in enumerate(API_READS)
]


def _object(o, object_type):
    return None if object_type is None else o["prediction" if object_type == "prediction" else object_type]


@pytest.mark.parametrize("role,url,action,object_type", READS)
def test_a_read_records_one_allowed_event(request, client, classified, new_events, role, url, action, object_type):
    user = request.getfixturevalue(role)
    client.force_login(user)
    new_events()  # the sign-in
    response = client.get(url(classified))
    assert response.status_code == 200

    # Opening a waiting case to review it also claims it: a write with its own event (tests/unit/diagnosis/test_claims.py).
    [event] = [e for e in new_events() if not e.action.startswith("claim.")]
    assert (event.action, event.outcome, event.status_code, event.method) == (action, Outcome.ALLOWED, 200, "GET")
    assert (event.actor, event.username, event.clinic) == (user, user.username, user.clinic)
    target = _object(classified, object_type)
    assert (event.object_type, event.object_id) == ((object_type, target.public_id) if target else ("", None))
    assert event.client_address == "127.0.0.1"
    assert event.request_id and event.request_id == response["X-Request-ID"]


@pytest.mark.parametrize("role,url,action,object_type", [r for r in READS if r.values[3] is not None])
def test_another_clinics_id_is_recorded_as_denied(request, client, classified, new_events, role, url, action,
                                                  object_type, other_clinic):
    from tests.factories import DermatologistFactory, StaffFactory

    outsider = (StaffFactory if role == "staff" else DermatologistFactory)(clinic=other_clinic)
    client.force_login(outsider)
    new_events()
    response = client.get(url(classified))
    assert response.status_code == 404

    [event] = new_events()
    assert (event.action, event.outcome, event.status_code) == (action, Outcome.DENIED, 404)
    assert (event.actor, event.clinic) == (outsider, other_clinic)
    assert event.object_id == _object(classified, object_type).public_id


def test_a_role_without_access_is_recorded_as_denied(client, dermatologist, patient, new_events):
    client.force_login(dermatologist)
    new_events()
    assert client.get(f"/patients/{patient.public_id}/edit/").status_code == 403
    [event] = new_events()
    assert (event.action, event.outcome, event.object_id) == (Action.PATIENT_VIEW, Outcome.DENIED, patient.public_id)


def test_token_requests_are_attributed_to_the_token_user(api, staff, patient, new_events):
    from knox.models import AuthToken

    _, key = AuthToken.objects.create(user=staff)
    response = api.get(f"/api/patients/{patient.public_id}/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    [event] = new_events()
    assert (event.actor, event.action, event.object_id) == (staff, Action.PATIENT_VIEW, patient.public_id)


def test_anonymous_requests_reach_nothing_and_are_not_recorded(client, api, patient, new_events):
    assert client.get(f"/patients/{patient.public_id}/").status_code == 302
    assert api.get(f"/api/patients/{patient.public_id}/").status_code == 401
    assert new_events() == []


def test_request_ids_are_the_servers_and_the_clients_is_kept_beside(client, staff, patient, new_events):
    client.force_login(staff)
    new_events()
    response = client.get(f"/patients/{patient.public_id}/", HTTP_X_REQUEST_ID="edge-4f2a.91")
    assert response["X-Request-ID"] != "edge-4f2a.91"
    [event] = new_events()
    assert (event.request_id, event.client_request_id) == (response["X-Request-ID"], "edge-4f2a.91")
    response = client.get(f"/patients/{patient.public_id}/", HTTP_X_REQUEST_ID="bad id; drop table")
    [event] = new_events()
    assert (event.request_id, event.client_request_id) == (response["X-Request-ID"], "")


def test_reusing_a_request_id_cannot_hide_a_refused_write(client, staff, patient, new_events):
    """The middleware records a refused write unless the service already recorded one under the request's id: a
    client that could choose the id could replay an earlier one and leave no trace."""
    client.force_login(staff)
    first = client.get(f"/patients/{patient.public_id}/")
    new_events()
    response = client.post(f"/patients/{patient.public_id}/edit/", {"first_name": ""},
                           HTTP_X_REQUEST_ID=first["X-Request-ID"])
    assert response.status_code == 200  # the form again, with its errors: nothing written
    events = new_events()
    assert [(e.outcome, e.client_request_id) for e in events] == [(Outcome.REFUSED, first["X-Request-ID"])]
    assert events[0].request_id == response["X-Request-ID"] != first["X-Request-ID"]


def test_search_terms_never_reach_the_trail(client, staff, patient, new_events):
    client.force_login(staff)
    new_events()
    client.post("/patients/", {"q": patient.last_name}, follow=True)
    client.get("/api/patients/", {"search": patient.medical_record_number})
    client.post("/api/patients/search/", {"q": patient.last_name}, content_type="application/json")
    events = new_events()
    assert [e.action for e in events] == [Action.PATIENT_LIST] * 3
    assert {e.outcome for e in events} == {"allowed"}
    for event in events:
        text = repr(list(event.__dict__.values()))
        assert patient.last_name not in text and patient.medical_record_number not in text
