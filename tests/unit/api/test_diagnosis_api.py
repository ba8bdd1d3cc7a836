"""The diagnosis part of the API: AI opinions, heat-maps, the review queue, reviews and AI retries.

Predictions come from diagnosis.inference.services.image_classify on the tiny trained model
(tests/conftest.py), exactly as the inference worker makes them.

Who may do what (deny by default): staff and dermatologists of the clinic read
AI opinions, heat-maps and review histories; only staff retry the AI; only
dermatologists review and see the queue; admins 403 everywhere (they use the
Django admin); anonymous 401. Another clinic's objects are not found (404). A
denied or refused request writes nothing and queues nothing.
"""

import math
from dataclasses import dataclass
from typing import Callable

import pytest
import yaml
from django.core.management import call_command

from dermplatform.celery import app as celery_app
from diagnosis import opinion
from diagnosis.inference import broker
from diagnosis.inference import services as inference_services
from diagnosis.models import ModelVersion, Prediction, Review
from diagnosis.review import services as review_services
from patients.models import CaseStatus
from tests.factories import DermatologistFactory

from .conftest import assert_no_database_ids, db_state, make_case, make_image, make_patient

pytestmark = pytest.mark.django_db

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --- building cases the way the platform does --------------------------------


def classified_case(user, patient, colors=((200, 100, 50),)):
    """A case whose images were all classified: awaiting review."""
    case = make_case(user, patient)
    for color in colors:
        image = make_image(user, case, color=color)
        inference_services.image_classify(image_id=image.pk)
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_REVIEW
    return case


def failed_case(user, patient, colors=((30, 60, 90),), classified=0):
    """A case whose AI failed on its images but the first `classified`: "AI failed" when it failed on every one,
    else awaiting review with the others."""
    case = make_case(user, patient)
    images = [make_image(user, case, color=color) for color in colors]
    for image in images[:classified]:
        inference_services.image_classify(image_id=image.pk)
    for image in images[classified:]:
        inference_services.image_classification_failed(image_id=image.pk, error="test: worker died")
    case.refresh_from_db()
    assert case.status == (CaseStatus.AWAITING_REVIEW if classified else CaseStatus.AI_FAILED)
    return case


def state():
    """Everything a denied or refused request must leave untouched, predictions and reviews included."""
    return (
        db_state(),
        list(Prediction.objects.order_by("pk").values_list("pk", "image_id", "model_version_id")),
        list(Review.objects.order_by("pk").values()),
        list(ModelVersion.objects.order_by("pk").values_list("pk", "is_active")),
    )


def other_diagnosis(code: str) -> str:
    return "mel" if code != "mel" else "bcc"


# --- the permission matrix ---------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    url: Callable  # objects -> url
    roles: frozenset  # the roles allowed in
    body: Callable | None = None
    ok: int = 200
    other: int | None = 404  # None: the endpoint has no target in another clinic

    @property
    def writes(self) -> bool:
        return self.method != "get"


READERS = frozenset({"staff", "dermatologist"})
ENDPOINTS = [
    Endpoint("case ai", "get", lambda o: f"/api/cases/{o['case'].public_id}/ai/", READERS),
    Endpoint("heatmap", "get", lambda o: f"/api/predictions/{o['prediction'].public_id}/heatmap/", READERS),
    Endpoint("review queue", "get", lambda o: "/api/review-queue/", frozenset({"dermatologist"}), other=None),
    Endpoint("reviews made", "get", lambda o: "/api/reviews/", frozenset({"dermatologist"}), other=None),
    Endpoint("case claim", "get", lambda o: f"/api/cases/{o['case'].public_id}/claim/", frozenset({"dermatologist"})),
    Endpoint("review history", "get", lambda o: f"/api/cases/{o['case'].public_id}/reviews/", READERS),
    Endpoint(
        "review create",
        "post",
        lambda o: f"/api/cases/{o['case'].public_id}/reviews/",
        frozenset({"dermatologist"}),
        body=lambda o: {"plan": "excision", "decision": "confirm", "notes": "Typical pattern."},
        ok=201,
    ),
    Endpoint("retry ai", "post", lambda o: f"/api/cases/{o['failed'].public_id}/retry-ai/", frozenset({"staff"}), ok=202),
    Endpoint("case warnings", "get", lambda o: f"/api/cases/{o['failed'].public_id}/warnings/", READERS),
    # Its image has no duplicate warning open: the clinic's staff and dermatologists get past the permission to
    # the rule's refusal (422), nothing stored.
    Endpoint(
        "warning check", "post", lambda o: f"/api/cases/{o['failed'].public_id}/warnings/", READERS,
        body=lambda o: {"image": str(o["failed"].images.first().public_id), "kind": "duplicate"}, ok=422,
    ),
]
ROLES = ["staff", "dermatologist", "admin", "anonymous"]


def expected_status(endpoint: Endpoint, role: str, target: str) -> int:
    if role == "anonymous":
        return 401
    if role not in endpoint.roles:
        return 403
    return endpoint.ok if target == "own" else endpoint.other


MATRIX = [
    pytest.param(endpoint, role, target, id=f"{endpoint.name}-{role}-{target}")
    for endpoint in ENDPOINTS
    for role in ROLES
    for target in ["own", "other"]
    if not (target == "other" and endpoint.other is None)
]


@pytest.fixture
def objects(active_model, staff, outsider_staff):
    def build(user, mrn):
        patient = make_patient(user, mrn=mrn)
        case = classified_case(user, patient)
        return {
            "patient": patient,
            "case": case,
            "prediction": Prediction.objects.get(image__case=case),
            "failed": failed_case(user, patient),
        }

    return {"own": build(staff, "OWN-1"), "other": build(outsider_staff, "OTHER-1")}


def _public_ids(objs) -> set[str]:
    ids = {str(obj.public_id) for obj in objs.values()}
    for case in (objs["case"], objs["failed"]):
        ids |= {str(image.public_id) for image in case.images.all()}
    return ids


def _user(request, role):
    fixture = {"staff": "staff", "dermatologist": "dermatologist", "admin": "admin_user"}.get(role)
    return request.getfixturevalue(fixture) if fixture else None


@pytest.mark.parametrize("endpoint, role, target", MATRIX)
def test_permission_matrix(request, api_as, objects, endpoint, role, target, django_capture_on_commit_callbacks):
    targets = objects[target]
    client = api_as(_user(request, role))
    before = state()
    kwargs = {"data": endpoint.body(targets), "format": "json"} if endpoint.body else {}

    with django_capture_on_commit_callbacks() as callbacks:
        response = getattr(client, endpoint.method)(endpoint.url(targets), **kwargs)

    expected = expected_status(endpoint, role, target)
    assert response.status_code == expected, response.content[:300]
    if expected >= 400 or not endpoint.writes:
        assert state() == before, "a denied or read-only request changed data"
    if expected == 401:
        assert response["WWW-Authenticate"] == "Token"
    if expected >= 400:
        assert response["Content-Type"] == "application/json"
    if response["Content-Type"].startswith("application/json") and expected < 300:
        text = response.content.decode()
        for public_id in _public_ids(objects["other"]):
            assert public_id not in text, "another clinic's object leaked"
        assert_no_database_ids(response.json())
    if endpoint.name == "review queue" and expected == 200:
        assert [row["public_id"] for row in response.json()["results"]] == [str(objects["own"]["case"].public_id)]
    # Only a successful retry queues work: one task for its one image without a prediction.
    assert len(callbacks) == (1 if endpoint.name == "retry ai" and expected == 202 else 0)


def test_outsider_dermatologist_reaches_nothing_of_ours(api_as, objects, outsider_dermatologist):
    client = api_as(outsider_dermatologist)
    own = objects["own"]
    before = state()
    assert client.get(f"/api/cases/{own['case'].public_id}/ai/").status_code == 404
    assert client.get(f"/api/predictions/{own['prediction'].public_id}/heatmap/").status_code == 404
    assert client.get(f"/api/cases/{own['case'].public_id}/reviews/").status_code == 404
    assert client.post(f"/api/cases/{own['case'].public_id}/reviews/", {"plan": "excision", "decision": "confirm"}, format="json").status_code == 404
    queue = client.get("/api/review-queue/").json()
    assert [row["public_id"] for row in queue["results"]] == [str(objects["other"]["case"].public_id)]
    assert state() == before


def test_token_authentication_works(api, dermatologist, objects):
    from knox.models import AuthToken

    _, key = AuthToken.objects.create(user=dermatologist)
    response = api.get("/api/review-queue/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200 and response.json()["count"] == 1


# --- the AI opinion ----------------------------------------------------------


def _assert_distribution(probabilities: dict, classes: list[str]):
    assert set(probabilities) == set(classes)
    assert math.isclose(sum(probabilities.values()), 1.0, abs_tol=1e-4)
    assert all(0.0 <= p <= 1.0 for p in probabilities.values())
    values = list(probabilities.values())
    assert values == sorted(values, reverse=True), "most probable first"


def test_ai_opinion_of_a_classified_case(api_as, staff, active_model):
    case = classified_case(staff, make_patient(staff), colors=[(200, 100, 50), (60, 60, 200)])
    response = api_as(staff).get(f"/api/cases/{case.public_id}/ai/")
    assert response.status_code == 200
    data = response.json()
    assert_no_database_ids(data)
    assert data["case"] == str(case.public_id) and data["status"] == "awaiting_review"

    summary = data["summary"]
    classes = active_model.classes
    _assert_distribution(summary["probabilities"], classes)
    assert summary["top_class"] == max(summary["probabilities"], key=summary["probabilities"].get)
    assert summary["confidence"] == pytest.approx(summary["probabilities"][summary["top_class"]])
    assert summary["model_versions"] == [str(active_model)]

    predictions = {p.image.public_id: p for p in Prediction.objects.filter(image__case=case).select_related("image")}
    assert {row["image"] for row in summary["predictions"]} == {str(uuid) for uuid in predictions}
    # The case's probabilities are the mean of its images'.
    for code in classes:
        mean = sum(p.probabilities[code] for p in predictions.values()) / len(predictions)
        assert summary["probabilities"][code] == pytest.approx(mean)
    assert summary["malignancy_risk"] == pytest.approx(max(p.malignancy_risk for p in predictions.values()))

    for row in summary["predictions"]:
        _assert_distribution(row["probabilities"], classes)
        stored = Prediction.objects.get(public_id=row["public_id"])
        assert row["top_class"] == stored.top_class == next(iter(row["probabilities"]))
        assert row["confidence"] == pytest.approx(row["probabilities"][row["top_class"]])
        assert [c["diagnosis"] for c in row["top_classes"]] == list(row["probabilities"])[:3]
        assert row["malignancy_risk"] == pytest.approx(sum(row["probabilities"].get(c, 0) for c in ("akiec", "bcc", "mel")))
        assert row["risk_level"] == stored.risk_level
        assert row["model_version"] == {"name": active_model.name, "sha256": active_model.sha256}
        assert isinstance(row["duration_ms"], int) and row["duration_ms"] >= 0
        assert row["heatmap_url"] == f"http://testserver/api/predictions/{stored.public_id}/heatmap/"
        heatmap = api_as(staff).get(row["heatmap_url"])
        assert heatmap.status_code == 200 and heatmap.content.startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("state_name", ["draft", "awaiting_ai", "ai_failed"])
def test_ai_opinion_before_any_prediction_is_null_with_the_reason(api_as, dermatologist, staff, active_model, state_name):
    patient = make_patient(staff)
    if state_name == "ai_failed":
        case = failed_case(staff, patient)
    else:
        case = make_case(staff, patient)
        if state_name == "awaiting_ai":
            make_image(staff, case)
    response = api_as(dermatologist).get(f"/api/cases/{case.public_id}/ai/")
    assert response.status_code == 200
    body = response.json()
    failed = body.pop("failed_images")
    body.pop("warnings", None)  # the case's image warnings have their own tests
    assert body == {
        "case": str(case.public_id), "status": state_name, "summary": None, "delayed_images": [],
        "retry_allowed": state_name == "ai_failed",
    }
    if state_name == "ai_failed":
        (image,) = case.images.all()
        assert [(f["image"], f["reason"], f["attempts"]) for f in failed] == [(str(image.public_id), "test: worker died", 1)]
    else:
        assert failed == []


def test_ai_opinion_shows_the_failed_image_beside_the_others(api_as, dermatologist, staff, active_model):
    case = failed_case(staff, make_patient(staff), colors=[(200, 100, 50), (10, 10, 10)], classified=1)
    body = api_as(dermatologist).get(f"/api/cases/{case.public_id}/ai/").json()
    assert body["status"] == "awaiting_review" and len(body["summary"]["predictions"]) == 1
    assert [f["reason"] for f in body["failed_images"]] == ["test: worker died"]


# --- heat-maps ---------------------------------------------------------------


def test_heatmap_is_a_private_png(api_as, dermatologist, staff, active_model):
    case = classified_case(staff, make_patient(staff))
    prediction = Prediction.objects.get(image__case=case)
    response = api_as(dermatologist).get(f"/api/predictions/{prediction.public_id}/heatmap/", HTTP_ACCEPT="image/*")
    assert response.status_code == 200
    assert response.content.startswith(PNG_SIGNATURE)
    with prediction.heatmap.open("rb") as handle:
        assert response.content == handle.read()
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == f'inline; filename="{prediction.public_id}-heatmap.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "private" in response["Cache-Control"]
    assert {"Cookie", "Authorization"} <= {v.strip() for v in response["Vary"].split(",")}


def test_heatmap_missing_or_unknown_is_a_json_404(api_as, staff, active_model):
    import uuid

    case = make_case(staff, make_patient(staff))
    image = make_image(staff, case)
    # A model without a Grad-CAM layer records no heat-map.
    version = ModelVersion.objects.create(name="no-cam", sha256="0" * 64, directory="/nowhere", classes=active_model.classes)
    probabilities = {c: 1 / len(active_model.classes) for c in active_model.classes}
    prediction = Prediction.objects.create(
        image=image, model_version=version, probabilities=probabilities, top_class=active_model.classes[0],
        confidence=probabilities[active_model.classes[0]], malignancy_risk=0.1, duration_ms=3,
    )
    client = api_as(staff)
    ai = client.get(f"/api/cases/{case.public_id}/ai/").json()
    assert ai["summary"]["predictions"][0]["heatmap_url"] is None
    for public_id in (prediction.public_id, uuid.uuid4()):
        response = client.get(f"/api/predictions/{public_id}/heatmap/", HTTP_ACCEPT="image/png")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json" and "detail" in response.json()


# --- the review queue --------------------------------------------------------


def test_queue_lists_cases_awaiting_review_highest_risk_first(api_as, staff, dermatologist, outsider_staff, active_model):
    patient = make_patient(staff)
    colors = [(200, 100, 50), (30, 30, 30), (240, 230, 220), (120, 40, 160)]
    waiting = [classified_case(staff, patient, colors=[color]) for color in colors]
    reviewed = classified_case(staff, patient, colors=[(10, 200, 10)])
    review_services.review_submit(case=reviewed, reviewer=dermatologist, decision="confirm", plan="excision")
    failed_case(staff, patient)
    make_image(staff, make_case(staff, patient))  # awaiting AI
    classified_case(outsider_staff, make_patient(outsider_staff, mrn="OTHER-9"))

    response = api_as(dermatologist).get("/api/review-queue/")
    assert response.status_code == 200
    data = response.json()
    assert_no_database_ids(data)
    assert data["count"] == len(waiting)
    rows = data["results"]

    risk = {case.public_id: Prediction.objects.get(image__case=case).malignancy_risk for case in waiting}
    assert len(set(risk.values())) > 1, "the images should give different risks, or the order proves nothing"
    expected = sorted(waiting, key=lambda case: (-risk[case.public_id], case.created_at))
    assert [row["public_id"] for row in rows] == [str(case.public_id) for case in expected]
    assert [row["malignancy_risk"] for row in rows] == pytest.approx([risk[case.public_id] for case in expected])
    assert all(row["status"] == "awaiting_review" for row in rows)
    first = rows[0]
    assert first["patient"] == str(patient.public_id)
    assert first["url"].endswith(f"/api/cases/{first['public_id']}/")
    assert first["ai_url"].endswith(f"/api/cases/{first['public_id']}/ai/")
    assert first["reviews_url"].endswith(f"/api/cases/{first['public_id']}/reviews/")


def test_queue_is_paginated(api_as, staff, dermatologist, active_model, monkeypatch):
    monkeypatch.setattr("diagnosis.review.queue.PAGE_SIZE", 2)
    patient = make_patient(staff)
    for color in [(200, 100, 50), (30, 30, 30), (240, 230, 220)]:
        classified_case(staff, patient, colors=[color])
    client = api_as(dermatologist)
    first = client.get("/api/review-queue/").json()
    second = client.get(first["next"]).json()
    assert first["count"] == 3 and len(first["results"]) == 2 and len(second["results"]) == 1
    assert second["next"] is None
    risks = [row["malignancy_risk"] for row in first["results"] + second["results"]]
    assert risks == sorted(risks, reverse=True)


# --- reviews -----------------------------------------------------------------


@pytest.fixture
def awaiting_review(staff, active_model):
    return classified_case(staff, make_patient(staff), colors=[(200, 100, 50), (60, 60, 200)])


def test_confirm_records_who_and_when(api_as, dermatologist, awaiting_review):
    ai = opinion.case_ai_summary(awaiting_review)["top_class"]
    response = api_as(dermatologist).post(
        f"/api/cases/{awaiting_review.public_id}/reviews/", {"plan": "excision", "decision": "confirm", "notes": "  Classic. "}, format="json"
    )
    assert response.status_code == 201, response.content
    data = response.json()
    review = Review.objects.get(case=awaiting_review)
    assert review.reviewer == dermatologist and review.diagnosis == ai == review.ai_diagnosis
    assert data == {
        "number": 1,
        "decision": "confirm",
        "diagnosis": ai,
        "ai_diagnosis": ai,
        "plan": "excision",
        "plan_text": "Excision",
        "follow_up_months": None,
        "is_downgrade": False,
        "downgraded_from": "",
        "downgrade_of": "",
        "downgrade_reason": "",
        "notes": "Classic.",
        "reviewer": dermatologist.username,
        "created_at": data["created_at"],
        "supersedes": None,
        "superseded_by": None,
        "is_current": True,
    }
    from django.utils.dateparse import parse_datetime

    assert parse_datetime(data["created_at"]) == review.created_at
    awaiting_review.refresh_from_db()
    assert awaiting_review.status == CaseStatus.REVIEWED


def test_override_supersedes_and_history_is_newest_first(api_as, api, dermatologist, clinic, awaiting_review):
    url = f"/api/cases/{awaiting_review.public_id}/reviews/"
    first = api_as(dermatologist).post(url, {"plan": "excision", "decision": "confirm"}, format="json").json()
    colleague = DermatologistFactory(clinic=clinic)
    api.force_login(colleague)
    diagnosis = other_diagnosis(first["diagnosis"])
    second = api.post(url, {"plan": "excision", "decision": "override", "diagnosis": diagnosis, "notes": "Atypical network."}, format="json")
    assert second.status_code == 201, second.content
    assert second.json()["number"] == 2 and second.json()["supersedes"] == 1 and second.json()["is_current"]
    assert second.json()["reviewer"] == colleague.username and second.json()["diagnosis"] == diagnosis

    old, new = Review.objects.filter(case=awaiting_review).order_by("pk")
    assert new.supersedes == old and new.reviewer == colleague and new.decision == "override"

    history = api.get(url)
    assert history.status_code == 200
    rows = history.json()
    assert_no_database_ids(rows)
    assert [(r["number"], r["decision"], r["supersedes"], r["superseded_by"], r["is_current"]) for r in rows] == [
        (2, "override", 1, None, True),
        (1, "confirm", None, 2, False),
    ]
    assert rows[0]["diagnosis"] == diagnosis and rows[0]["ai_diagnosis"] == first["diagnosis"]
    assert rows[1]["reviewer"] == dermatologist.username


def test_staff_reads_the_review_history(api_as, dermatologist, staff, awaiting_review):
    review_services.review_submit(case=awaiting_review, reviewer=dermatologist, decision="confirm", plan="excision", notes="ok")
    rows = api_as(staff).get(f"/api/cases/{awaiting_review.public_id}/reviews/").json()
    assert [(r["number"], r["reviewer"], r["notes"]) for r in rows] == [(1, dermatologist.username, "ok")]


@pytest.mark.parametrize(
    "body, field, status",
    [
        # 400: refused by the schema; 422: allowed by it, refused by a rule across fields or over the case.
        ({"plan": "excision", "decision": "override"}, "diagnosis", 422),
        ({"plan": "excision", "decision": "override", "diagnosis": ""}, "diagnosis", 422),
        ({"plan": "excision", "decision": "override", "diagnosis": "AI"}, "diagnosis", 422),  # the AI's own: confirm instead
        ({"plan": "excision", "decision": "override", "diagnosis": "cancer"}, "diagnosis", 400),
        ({"plan": "excision", "decision": "maybe"}, "decision", 400),
        ({"plan": "excision"}, "decision", 400),
        ({"decision": "confirm"}, "plan", 400),
        ({"decision": "confirm", "plan": "surgery"}, "plan", 400),
        ({"decision": "confirm", "plan": "follow_up", "downgrade_reason": "watch"}, "follow_up_months", 422),
        ({"decision": "confirm", "plan": "follow_up", "follow_up_months": 0}, "follow_up_months", 400),
        ({"decision": "confirm", "plan": "excision", "follow_up_months": 6}, "follow_up_months", 422),
        ({"decision": "confirm", "plan": "excision", "downgrade_reason": "why not"}, "downgrade_reason", 422),
        ({"plan": "excision", "decision": "confirm", "notes": "x" * 10001}, "notes", 400),
    ],
)
def test_invalid_reviews_are_refused_with_field_errors(api_as, dermatologist, awaiting_review, body, field, status):
    if body.get("diagnosis") == "AI":
        body = {**body, "diagnosis": opinion.case_ai_summary(awaiting_review)["top_class"]}
    before = state()
    response = api_as(dermatologist).post(f"/api/cases/{awaiting_review.public_id}/reviews/", body, format="json")
    assert response.status_code == status
    assert list(response.json()) == [field]
    assert state() == before


def test_a_case_without_ai_result_cannot_be_reviewed(api_as, staff, dermatologist, active_model):
    case = make_case(staff, make_patient(staff))
    make_image(staff, case)
    before = state()
    response = api_as(dermatologist).post(f"/api/cases/{case.public_id}/reviews/", {"plan": "excision", "decision": "confirm"}, format="json")
    assert response.status_code == 409
    assert response.json() == {"errors": ["This case has no AI result to review yet."]}
    assert state() == before


# --- retrying the AI ---------------------------------------------------------


def test_retry_sends_unclassified_images_back_to_the_ai(
    api_as, staff, active_model, monkeypatch, django_capture_on_commit_callbacks
):
    case = failed_case(staff, make_patient(staff), colors=[(200, 100, 50), (60, 60, 200), (10, 10, 10)], classified=1)
    pending = list(case.images.filter(predictions__isnull=True).order_by("pk").values_list("pk", flat=True))
    assert len(pending) == 2

    with django_capture_on_commit_callbacks() as callbacks:
        response = api_as(staff).post(f"/api/cases/{case.public_id}/retry-ai/")
    assert response.status_code == 202, response.content
    # The case was in review with one image classified: it stays there, at its place, while the others are retried.
    assert response.json() == {"case": str(case.public_id), "status": "awaiting_review", "count": 2}
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_REVIEW
    assert len(callbacks) == 1

    # The callback queues exactly the images without a prediction: their messages are in the real broker.
    celery_app.control.purge()
    for callback in callbacks:
        callback()
    assert broker.queued_image_ids(celery_app) == set(pending)
    celery_app.control.purge()


@pytest.mark.parametrize("status_name", ["awaiting_ai", "awaiting_review"])
def test_retry_refuses_a_case_that_did_not_fail(api_as, staff, active_model, status_name, django_capture_on_commit_callbacks):
    patient = make_patient(staff)
    if status_name == "awaiting_review":
        case = classified_case(staff, patient)
    else:
        case = make_case(staff, patient)
        make_image(staff, case)
    before = state()
    with django_capture_on_commit_callbacks() as callbacks:
        response = api_as(staff).post(f"/api/cases/{case.public_id}/retry-ai/")
    assert response.status_code == 409
    assert response.json() == {
        "errors": ["Only an open case whose AI classification failed or is delayed can be sent to the AI again."]
    }
    assert state() == before and callbacks == []


# --- schema ------------------------------------------------------------------


def test_schema_documents_the_diagnosis_endpoints(tmp_path):
    path = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    schema = yaml.safe_load(path.read_text())
    paths = schema["paths"]
    assert {
        "/api/cases/{public_id}/ai/",
        "/api/cases/{public_id}/reviews/",
        "/api/cases/{public_id}/retry-ai/",
        "/api/predictions/{public_id}/heatmap/",
        "/api/review-queue/",
    } <= set(paths)
    assert list(paths["/api/predictions/{public_id}/heatmap/"]["get"]["responses"]["200"]["content"]) == ["image/png"]
    assert "202" in paths["/api/cases/{public_id}/retry-ai/"]["post"]["responses"]
    assert "201" in paths["/api/cases/{public_id}/reviews/"]["post"]["responses"]
    queue_parameters = {p["name"] for p in paths["/api/review-queue/"]["get"]["parameters"]}
    assert {"cursor", "flag", "risk", "body_site", "waiting_days", "ai_failed"} <= queue_parameters
    assert schema["components"]["schemas"]["CaseAi"]["properties"]["summary"]["nullable"] is True
