"""The clinic's CSV export and the real-world performance through the API: the same rows and figures as their
pages (one selector, one computation), filterable by clinic (admins) and model version, audited, never cached.
Who may read them, role by role and clinic by clinic: tests/unit/api/test_api_permissions.py."""

import csv
import io

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from dermplatform.audit.models import Action, AuditEvent, Outcome
from diagnosis.models import ModelVersion
from diagnosis.reports.performance import wilson_interval
from tests.clinical_world import CLASSES, add_prediction
from tests.factories import AdminFactory
from tests.unit.reports.test_performance import clinic_data  # noqa: F401  (the fixture: six cases of ours, one of theirs)

pytestmark = pytest.mark.django_db
CSV_URL, PERFORMANCE_URL = "/api/reports/cases.csv", "/api/reports/performance/"


def _by_token(user) -> APIClient:
    """As an API client signs in: a token (an admin's is issued only with their second factor)."""
    _, key = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="cases-')
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def _proportion(hits, total) -> dict:
    return {"hits": hits, "total": total, "value": hits / total, "interval": pytest.approx(list(wilson_interval(hits, total)))}


def test_csv_is_the_pages_export(client, dermatologist, world, other_world):
    client.force_login(dermatologist)
    page = _csv_rows(client.get("/reports/cases.csv"))
    api = _csv_rows(_session(dermatologist).get(CSV_URL))
    assert api == page and len(api) == 2  # the header and our one case
    assert api[1][0] == str(world["case"].public_id)
    assert str(other_world["case"].public_id) not in str(api)


def test_csv_for_an_admin_every_clinic_or_one(world, other_world):
    api = _by_token(AdminFactory())
    everywhere = {row[0] for row in _csv_rows(api.get(CSV_URL))[1:]}
    assert everywhere == {str(world["case"].public_id), str(other_world["case"].public_id)}
    theirs = _csv_rows(api.get(CSV_URL, {"clinic": other_world["patient"].clinic_id}))[1:]
    assert [row[0] for row in theirs] == [str(other_world["case"].public_id)]


def test_performance_figures_as_on_the_page(client, dermatologist, clinic_data):  # noqa: F811
    client.force_login(dermatologist)
    [page] = client.get("/reports/performance/").context["figures"]
    response = _session(dermatologist).get(PERFORMANCE_URL)
    assert response.status_code == 200
    data = response.json()
    assert data["scope"] == dermatologist.clinic.name
    [figures] = data["versions"]
    version = clinic_data["version"]
    assert figures["model_version"] == {"name": version.name, "sha256": version.sha256}
    assert figures["is_active"] is True
    assert (figures["cases"], figures["not_assessable"]) == (6, 0)
    assert (figures["reviewed"], figures["downgrades"]) == (page.reviewed, page.downgrades) == (5, 0)
    assert figures["agreement"] == _proportion(4, 5)
    assert figures["mel_flag"] == {"sensitivity": _proportion(1, 2), "specificity": _proportion(1, 2)}
    months = {m["month"]: m for m in figures["months"]}
    assert set(months) == {clinic_data["this"], clinic_data["last"]}
    assert months[clinic_data["last"]]["agreement"] == _proportion(2, 2)
    assert months[clinic_data["this"]]["mel_flag"]["sensitivity"] == _proportion(1, 1)
    classes = {row["diagnosis"]: row for row in figures["classes"]}
    assert set(classes) == {row["code"] for row in page.classes}
    assert classes["mel"]["flagged"] == _proportion(1, 2)
    matrix = figures["versus_dermatologist"]
    assert matrix["total"] == 5 and sum(matrix["counts"][i][i] for i in range(len(matrix["rows"]))) == 4
    assert matrix["counts"] == [[page.versus_dermatologist.counts[r, c] for c in matrix["columns"]] for r in matrix["rows"]]
    assert figures["versus_histology"]["total"] == 4
    assert figures["versus_histology"]["rows"] == page.versus_histology.rows


def test_performance_by_model_version(dermatologist, clinic_data):  # noqa: F811
    ModelVersion.objects.create(name="test-model", sha256="0" * 64, directory="/nowhere", classes=CLASSES, card={})
    add_prediction(clinic_data["cases"][0].images.get(), mel=0.05)  # an older version's opinion on the first case
    api = _session(dermatologist)
    assert len(api.get(PERFORMANCE_URL).json()["versions"]) == 2
    [older] = api.get(PERFORMANCE_URL, {"model_version": "0" * 64}).json()["versions"]
    assert older["cases"] == 1 and older["mel_flag"]["sensitivity"]["hits"] == 0
    [current] = api.get(PERFORMANCE_URL, {"model_version": clinic_data["version"].sha256}).json()["versions"]
    assert current["cases"] == 6
    assert api.get(PERFORMANCE_URL, {"model_version": "f" * 64}).json()["versions"] == []
    assert api.get(PERFORMANCE_URL, {"model_version": "not-a-hash"}).status_code == 400


def test_performance_for_an_admin_every_clinic_or_one(clinic_data, outsider_staff):  # noqa: F811
    api = _by_token(AdminFactory())
    everywhere = api.get(PERFORMANCE_URL).json()
    assert everywhere["scope"] == "all clinics" and everywhere["versions"][0]["cases"] == 7
    theirs = api.get(PERFORMANCE_URL, {"clinic": outsider_staff.clinic_id}).json()
    assert theirs["scope"] == outsider_staff.clinic.name and theirs["versions"][0]["cases"] == 1


def test_a_dermatologist_asking_for_another_clinic_gets_nothing(outsider_dermatologist, dermatologist, clinic_data):  # noqa: F811
    api = _session(outsider_dermatologist)
    assert api.get(PERFORMANCE_URL).json()["versions"][0]["cases"] == 1
    assert api.get(PERFORMANCE_URL, {"clinic": dermatologist.clinic_id}).json()["versions"] == []
    assert _csv_rows(api.get(CSV_URL, {"clinic": dermatologist.clinic_id}))[1:] == []


@pytest.mark.parametrize("url", [CSV_URL, PERFORMANCE_URL])
def test_audited_never_cached_and_bad_input_refused(staff, dermatologist, world, url):
    action = Action.CASES_EXPORT if url == CSV_URL else Action.PERFORMANCE_VIEW
    assert _session(staff).get(url).status_code == 403
    api = _session(dermatologist)
    response = api.get(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    for bad in ("x", "0", "99999999999999999999"):
        refused = api.get(url, {"clinic": bad})
        assert refused.status_code == 400 and refused["Content-Type"] == "application/json"
    events = AuditEvent.objects.filter(action=action).order_by("pk")
    assert [(e.actor_id, e.outcome) for e in events][:2] == [(staff.pk, Outcome.DENIED), (dermatologist.pk, Outcome.ALLOWED)]
    assert all(e.object_id in ("", None) for e in events)
