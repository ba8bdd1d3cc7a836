"""Who may do what through the API: every endpoint × every role × own and other clinic.

Deny by default: clinic staff read and write; dermatologists read (writes 403);
platform admins 403 (they work in the Django admin); anonymous 401. Another
clinic's objects are not found (404), and lists never show them. A denied write
changes nothing.
"""

from dataclasses import dataclass
from typing import Callable

import pytest

from .conftest import db_state, jpeg_bytes, upload


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    url: Callable  # objects -> url
    body: Callable | None = None  # objects -> payload
    ok: int = 200
    other: int = 404  # staff or dermatologist reaching another clinic's object
    multipart: bool = False
    dermatologist_writes: bool = False  # the clinic's dermatologists write too (the worklist's done marks)

    @property
    def writes(self) -> bool:
        return self.method != "get"


ENDPOINTS = [
    Endpoint("patient list", "get", lambda o: f"/api/patients/?search={o['patient'].medical_record_number}", other=200),
    Endpoint("patient detail", "get", lambda o: f"/api/patients/{o['patient'].public_id}/"),
    Endpoint(
        "patient create",
        "post",
        lambda o: "/api/patients/",
        lambda o: {
            "medical_record_number": "NEW-1",
            "first_name": "New",
            "last_name": "Patient",
            "date_of_birth": "1980-01-01",
            "sex": "male",
        },
        ok=201,
        other=None,  # no target: a patient is always created in the user's own clinic
    ),
    Endpoint("patient update", "patch", lambda o: f"/api/patients/{o['patient'].public_id}/", lambda o: {"first_name": "Changed"}),
    Endpoint("patient archive", "post", lambda o: f"/api/patients/{o['patient'].public_id}/archive/", lambda o: {"reason": "Moved away"}),
    Endpoint("case list", "get", lambda o: f"/api/cases/?patient={o['patient'].public_id}", other=200),
    Endpoint("case detail", "get", lambda o: f"/api/cases/{o['case'].public_id}/"),
    Endpoint(
        "case create",
        "post",
        lambda o: "/api/cases/",
        lambda o: {"patient": str(o["patient"].public_id), "body_site": "chest", "clinical_notes": "New lesion"},
        ok=201,
        other=422,  # a patient of another clinic is "No such patient." in the body
    ),
    Endpoint("case update", "patch", lambda o: f"/api/cases/{o['case'].public_id}/", lambda o: {"clinical_notes": "Changed"}),
    Endpoint("case archive", "post", lambda o: f"/api/cases/{o['case'].public_id}/archive/", lambda o: {"reason": "Entered twice"}),
    Endpoint("case images list", "get", lambda o: f"/api/cases/{o['case'].public_id}/images/"),
    Endpoint(
        "image upload",
        "post",
        lambda o: f"/api/cases/{o['case'].public_id}/images/",
        lambda o: {"images": [upload(jpeg_bytes(color=(10, 20, 30)), "new.jpg")]},
        ok=201,
        multipart=True,
    ),
    Endpoint("image detail", "get", lambda o: f"/api/images/{o['image'].public_id}/"),
    Endpoint("image content", "get", lambda o: f"/api/images/{o['image'].public_id}/content/"),
    Endpoint("image thumbnail", "get", lambda o: f"/api/images/{o['image'].public_id}/thumbnail/"),
    Endpoint("case report pdf", "get", lambda o: f"/api/cases/{o['case'].public_id}/report.pdf"),
    Endpoint("case report fhir", "get", lambda o: f"/api/cases/{o['case'].public_id}/fhir/"),
    Endpoint("worklist items", "get", lambda o: "/api/worklist/", other=200),
    # The case has no open item: an allowed user reaches the rule (422, nothing marked), another clinic's case 404.
    Endpoint(
        "worklist item done", "post", lambda o: f"/api/worklist/cases/{o['case'].public_id}/done/",
        lambda o: {"kind": "book", "fact": "plan:excision"}, ok=422, dermatologist_writes=True,
    ),
    Endpoint(
        "worklist item reopen", "delete", lambda o: f"/api/worklist/cases/{o['case'].public_id}/done/",
        lambda o: {"kind": "book", "fact": "plan:excision"}, ok=422, dermatologist_writes=True,
    ),
]

LISTED = {"patient list": "patient", "case list": "case", "case images list": "image"}  # what each list shows

ROLES = ["staff", "dermatologist", "admin", "anonymous"]
TARGETS = ["own", "other"]


def expected_status(endpoint: Endpoint, role: str, target: str) -> int:
    if role == "anonymous":
        return 401
    if role == "admin":
        return 403
    if endpoint.writes and role == "dermatologist" and not endpoint.dermatologist_writes:
        return 403
    return endpoint.ok if target == "own" else endpoint.other


CASES = [
    pytest.param(endpoint, role, target, id=f"{endpoint.name}-{role}-{target}")
    for endpoint in ENDPOINTS
    for role in ROLES
    for target in TARGETS
    if not (target == "other" and endpoint.other is None)
]


@pytest.fixture
def objects(request, image, other_image):
    own = {"patient": image.case.patient, "case": image.case, "image": image}
    other = {"patient": other_image.case.patient, "case": other_image.case, "image": other_image}
    return {"own": own, "other": other}


def _user(request, role):
    return {
        "staff": lambda: request.getfixturevalue("staff"),
        "dermatologist": lambda: request.getfixturevalue("dermatologist"),
        "admin": lambda: request.getfixturevalue("admin_user"),
        "anonymous": lambda: None,
    }[role]()


@pytest.mark.parametrize("endpoint, role, target", CASES)
def test_permission_matrix(request, api_as, objects, endpoint, role, target, django_capture_on_commit_callbacks):
    targets = objects[target]
    client = api_as(_user(request, role))
    before = db_state()
    kwargs = {}
    if endpoint.body is not None:
        kwargs["data"] = endpoint.body(targets)
        kwargs["format"] = "multipart" if endpoint.multipart else "json"

    with django_capture_on_commit_callbacks() as callbacks:
        response = getattr(client, endpoint.method)(endpoint.url(targets), **kwargs)

    expected = expected_status(endpoint, role, target)
    assert response.status_code == expected, response.content[:300]
    if expected >= 400 or not endpoint.writes:
        assert db_state() == before, "a denied or read-only request changed data"
    if expected == 401:
        assert response["WWW-Authenticate"] == "Token"
    if expected == 200 and endpoint.name.endswith("list"):
        listed = {row["public_id"] for row in response.json()["results"]}
        kind = LISTED[endpoint.name]
        own_id, other_id = str(objects["own"][kind].public_id), str(objects["other"][kind].public_id)
        assert other_id not in listed
        assert (own_id in listed) == (target == "own")
    if "json" in response["Content-Type"] and expected < 300:
        # Nothing of the other clinic leaks into an own-clinic answer.
        text = response.content.decode()
        for obj in objects["other"].values():
            assert str(obj.public_id) not in text
    assert len(callbacks) == (1 if endpoint.name == "image upload" and expected == 201 else 0)


def test_outsider_staff_cannot_reach_our_objects(api_as, outsider_staff, image):
    """The same rule seen from the other clinic's side."""
    client = api_as(outsider_staff)
    for url in [
        f"/api/patients/{image.case.patient.public_id}/",
        f"/api/cases/{image.case.public_id}/",
        f"/api/images/{image.public_id}/content/",
    ]:
        assert client.get(url).status_code == 404
    assert client.get("/api/patients/").json()["count"] == 0
    assert client.get("/api/cases/").json()["count"] == 0


def test_outsider_dermatologist_sees_nothing_of_ours(api_as, outsider_dermatologist, image):
    client = api_as(outsider_dermatologist)
    assert client.get(f"/api/images/{image.public_id}/").status_code == 404
    assert client.get("/api/cases/").json()["count"] == 0


def test_user_without_clinic_is_denied(api_as, staff, image):
    staff.clinic = None
    staff.save()
    assert api_as(staff).get("/api/patients/").status_code == 403


def test_inactive_user_token_is_refused(api, staff):
    from knox.models import AuthToken

    _, key = AuthToken.objects.create(user=staff)
    staff.is_active = False
    staff.save()
    response = api.get("/api/patients/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401


def test_session_writes_need_the_csrf_token(staff, patient):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff)
    before = db_state()
    response = client.patch(f"/api/patients/{patient.public_id}/", {"first_name": "X"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert db_state() == before


# The clinic's reports (tests/unit/reports/test_reports_api.py): as on their pages, the clinic's dermatologists and
# platform admins; "other" asks for the other clinic by ?clinic=, which an admin may choose and a dermatologist
# cannot reach (the answer is empty). An admin reaches the API by a token (issued only with the second factor);
# an admin's session without the second factor is refused.
CLINIC_REPORTS = {"clinic cases csv": "/api/reports/cases.csv", "performance": "/api/reports/performance/"}
REPORT_ROLES = ["staff", "dermatologist", "admin", "admin without second factor", "anonymous"]


def _report_client(request, api, role):
    from knox.models import AuthToken

    if role == "anonymous":
        return api
    if role == "admin":
        _, key = AuthToken.objects.create(user=request.getfixturevalue("admin_user"))
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return api
    api.force_login(request.getfixturevalue("admin_user" if role.startswith("admin") else role))
    if role == "admin without second factor":
        from django_otp import DEVICE_ID_SESSION_KEY

        session = api.session  # signed in with the password only: the session names no verified device
        del session[DEVICE_ID_SESSION_KEY]
        session.save()
    return api


def _body(response) -> str:
    return b"".join(response.streaming_content if response.streaming else [response.content]).decode()


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", REPORT_ROLES)
@pytest.mark.parametrize("name", sorted(CLINIC_REPORTS))
def test_clinic_reports_permission_matrix(request, api, objects, name, role, target):
    from tests.clinical_world import add_prediction

    for image in (objects["own"]["image"], objects["other"]["image"]):
        add_prediction(image)
    clinic = objects[target]["patient"].clinic_id
    before = db_state()
    response = _report_client(request, api, role).get(CLINIC_REPORTS[name], {"clinic": clinic})
    assert db_state() == before
    expected = {"anonymous": 401, "staff": 403, "admin without second factor": 403}.get(role, 200)
    assert response.status_code == expected, _body(response)[:300]
    if expected == 401:
        assert response["WWW-Authenticate"] == "Token"
    if expected != 200:
        return
    assert "no-store" in response["Cache-Control"]
    reached = role == "admin" or target == "own"  # a dermatologist never reaches the other clinic
    body = _body(response)
    if name == "performance":
        assert sum(version["cases"] for version in response.json()["versions"]) == (1 if reached else 0)
    else:
        assert len(body.splitlines()) == (2 if reached else 1)  # the header, and the clinic's one case
        assert (str(objects[target]["case"].public_id) in body) == reached
    # Nothing of the clinic not asked for.
    unasked = objects["own" if target == "other" else "other"]
    assert not any(str(obj.public_id) in body for obj in unasked.values())
