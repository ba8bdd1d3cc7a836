"""The API answers by its contract where a request is wrong: JSON 404s for ids that match no route, 400 for an
empty or malformed query parameter (never a filter that silently filters nothing), and the documented 415."""

import pytest
import yaml
from django.core.management import call_command

MALFORMED_ID_PATHS = [
    "/api/patients/not-a-uuid/",
    "/api/cases/12345/",
    "/api/cases/xyz/images/",
    "/api/images/0/content/",
    "/api/images/%27%3B--/thumbnail/",
    "/api/no-such-endpoint/",
]


@pytest.mark.parametrize("path", MALFORMED_ID_PATHS)
def test_a_malformed_id_under_the_api_is_a_json_404(api_as, staff, path):
    response = api_as(staff).get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_pages_keep_their_html_404(client, staff):
    client.force_login(staff)
    response = client.get("/patients/not-a-uuid/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("query", [
    "model_version=", "model_version=abc", "clinic=", "clinic=first", "clinic=0",
])
def test_report_parameters_empty_or_malformed_are_400(api_as, dermatologist, query):
    response = api_as(dermatologist).get(f"/api/reports/performance/?{query}")
    assert response.status_code == 400, response.content
    name = query.split("=")[0]
    assert name in response.json()["errors"] if "errors" in response.json() else name in response.json()


def test_a_well_formed_model_version_still_filters(api_as, dermatologist):
    response = api_as(dermatologist).get(f"/api/reports/performance/?model_version={'a' * 64}")
    assert response.status_code == 200 and response.json()["versions"] == []


@pytest.mark.parametrize("query", [
    "flag=", "flag=purple", "risk=extreme", "body_site=moon", "waiting_days=-1", "waiting_days=ten",
    "waiting_days=99999", "ai_failed=perhaps",
])
def test_queue_filters_empty_or_malformed_are_400(api_as, dermatologist, query):
    response = api_as(dermatologist).get(f"/api/review-queue/?{query}")
    assert response.status_code == 400, response.content


def test_queue_filters_that_are_valid_still_answer(api_as, dermatologist):
    for query in ["", "flag=mel", "risk=high", "waiting_days=0", "ai_failed=true", "cursor="]:
        assert api_as(dermatologist).get(f"/api/review-queue/?{query}").status_code == 200, query


def test_reviews_mine_must_be_a_boolean(api_as, dermatologist):
    assert api_as(dermatologist).get("/api/reviews/?mine=perhaps").status_code == 400
    assert api_as(dermatologist).get("/api/reviews/?mine=true").status_code == 200


def test_an_upload_as_json_is_a_documented_415(api_as, staff, case, tmp_path, django_db_blocker):
    response = api_as(staff).post(f"/api/cases/{case.public_id}/images/", {"images": "x"}, format="json")
    assert response.status_code == 415
    assert case.images.count() == 0
    path = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(path))
    upload = yaml.safe_load(path.read_text())["paths"]["/api/cases/{public_id}/images/"]["post"]
    assert "415" in upload["responses"]
