"""The API exposes the AI's flags: each prediction's (with scores and thresholds) and the case's, the image
guard's verdict, and the queue's flag groups. A case the AI could not assess has no AI diagnosis to confirm."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from diagnosis.inference import services as diagnosis_services
from patients.models import Case

from .conftest import assert_no_database_ids, make_case, make_image, make_patient

pytestmark = pytest.mark.django_db


def classified_case(user, patient, colors=((200, 100, 50),)):
    case = make_case(user, patient)
    for color in colors:
        diagnosis_services.image_classify(image_id=make_image(user, case, color=color).pk)
    return case


def test_prediction_and_case_expose_the_flags(api_as, staff, model_variant):
    model_variant(mel=0.0, malignant=1.01)
    case = classified_case(staff, make_patient(staff), colors=[(200, 100, 50), (60, 60, 200)])
    data = api_as(staff).get(f"/api/cases/{case.public_id}/ai/").json()
    assert_no_database_ids(data)
    summary = data["summary"]
    assert summary["flag"] == "mel"
    assert summary["flag_text"] == "Suspicious for melanoma: consider excision or biopsy"
    assert summary["operating_point"].startswith("threshold 0 on P(melanoma), set for 90 % melanoma sensitivity")
    assert summary["flags"] == {"mel": True, "malignant": False}
    assert summary["assessable"] is True and summary["top_class"]
    for row in summary["predictions"]:
        assert row["flag"] == "mel" and row["assessable"] is True and row["not_assessable_reason"] == ""
        assert row["flags"]["mel"] == {"flagged": True, "score": pytest.approx(row["probabilities"]["mel"]), "threshold": 0.0}
        assert row["flags"]["malignant"] == {"flagged": False, "score": pytest.approx(row["malignancy_risk"]), "threshold": 1.01}


def test_model_without_operating_points_gives_null_flags(api_as, staff, active_model):
    case = classified_case(staff, make_patient(staff))
    summary = api_as(staff).get(f"/api/cases/{case.public_id}/ai/").json()["summary"]
    assert summary["flag"] == "unavailable" and summary["flags"] == {"mel": None, "malignant": None}
    [row] = summary["predictions"]
    assert row["flags"]["mel"]["flagged"] is None and row["flags"]["mel"]["threshold"] is None
    assert row["flags"]["malignant"] == {"flagged": None, "score": pytest.approx(row["malignancy_risk"]), "threshold": None}


def test_not_assessable_case_has_no_ai_diagnosis(api_as, staff, dermatologist, model_variant):
    model_variant(mel=0.0, malignant=0.0, refuse_all=True)
    case = classified_case(staff, make_patient(staff))
    summary = api_as(staff).get(f"/api/cases/{case.public_id}/ai/").json()["summary"]
    assert summary["flag"] == "not_assessable" and summary["assessable"] is False
    assert summary["top_class"] is None and summary["confidence"] is None and summary["malignancy_risk"] is None
    assert summary["probabilities"] == {}
    [row] = summary["predictions"]
    assert row["assessable"] is False and row["flag"] == "not_assessable"
    assert row["not_assessable_reason"].startswith("Too blurred for the AI") and "focus" in row["guard"]

    client = api_as(dermatologist)
    url = f"/api/cases/{case.public_id}/reviews/"
    refused = client.post(url, {"plan": "excision", "decision": "confirm"}, format="json")
    assert refused.status_code == 422 and "no AI diagnosis to confirm" in refused.json()["decision"][0]
    created = client.post(url, {"plan": "excision", "decision": "override", "diagnosis": "mel"}, format="json")
    assert created.status_code == 201 and created.json()["ai_diagnosis"] == ""


def test_queue_exposes_flags_and_puts_flagged_first(api_as, staff, dermatologist, model_variant):
    patient = make_patient(staff)
    model_variant(mel=1.01, malignant=1.01)
    older = classified_case(staff, patient, colors=[(30, 30, 30)])
    Case.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=2))
    model_variant(mel=0.0, malignant=0.0)
    flagged = classified_case(staff, patient, colors=[(200, 100, 50)])
    rows = api_as(dermatologist).get("/api/review-queue/").json()["results"]
    assert [(row["public_id"], row["flag"]) for row in rows] == [(str(flagged.public_id), "mel"), (str(older.public_id), "none")]


def test_schema_documents_the_flags(tmp_path):
    import yaml

    path = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    schemas = yaml.safe_load(path.read_text())["components"]["schemas"]
    assert {"flag", "flags", "assessable", "not_assessable_reason"} <= set(schemas["Prediction"]["properties"])
    assert {"flag", "flag_text", "operating_point", "flags", "assessable"} <= set(schemas["CaseAiSummary"]["properties"])
    assert "flag" in schemas["ReviewQueueEntry"]["properties"]
    assert schemas["CaseAiSummary"]["properties"]["top_class"].get("nullable") is True
