"""The histopathology outcome: entered later by the clinic's staff or dermatologists, the case's ground truth and
headline; the headline otherwise is the dermatologist's current decision (with its plan), then the AI (with its flag)."""

import datetime
import html

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from dermplatform.audit.models import AuditEvent
from diagnosis.inference import services as inference_services
from diagnosis.models import Histology
from diagnosis.review import selectors
from diagnosis.review import services as review_services
from patients.models import CaseStatus

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def classified_case(uploaded_case, active_model):
    for image in uploaded_case.images.all():
        inference_services.image_classify(image_id=image.pk)
    uploaded_case.refresh_from_db()
    assert uploaded_case.status == CaseStatus.AWAITING_REVIEW
    return uploaded_case


def _record(case, user, **extra):
    values = {"diagnosis": "mel", "reported_on": TODAY(), "report_reference": "H-2026-001", **extra}
    return review_services.histology_record(case=case, user=user, **values)


@pytest.mark.parametrize("who", ["staff", "dermatologist"])
def test_staff_and_dermatologists_enter_it(classified_case, request, who):
    user = request.getfixturevalue(who)
    histology = _record(classified_case, user, report_reference="  H-1 ")
    assert (histology.diagnosis, histology.report_reference, histology.entered_by) == ("mel", "H-1", user)
    event = AuditEvent.objects.filter(object_id=classified_case.public_id, action="histology.create").get()
    assert event.actor == user


@pytest.mark.parametrize("who", ["outsider_staff", "outsider_dermatologist", "admin_user"])
def test_nobody_else_does(classified_case, request, who):
    with pytest.raises(PermissionDenied):
        _record(classified_case, request.getfixturevalue(who))
    assert not Histology.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"diagnosis": "cancer"}, "diagnosis"),
        ({"reported_on": None}, "reported_on"),
        ({"reported_on": datetime.date.today() + datetime.timedelta(days=2)}, "reported_on"),
        ({"report_reference": "  "}, "report_reference"),
    ],
)
def test_invalid_entries_are_refused(classified_case, staff, extra, field):
    with pytest.raises(ValidationError) as error:
        _record(classified_case, staff, **extra)
    assert field in error.value.message_dict
    assert not Histology.objects.exists()


def test_other_and_corrections_supersede(classified_case, staff, dermatologist):
    first = _record(classified_case, staff, diagnosis="other", reported_on=TODAY() - datetime.timedelta(days=3))
    second = _record(classified_case, dermatologist, diagnosis="nv")
    first.refresh_from_db()
    assert second.supersedes == first and first.superseded_by == second
    assert selectors.histology_current(case=classified_case) == second


def test_headline_order(classified_case, staff, dermatologist):
    headline = selectors.case_headline(case=classified_case)
    assert headline["source"] == "ai" and headline["flag"]
    review_services.review_submit(case=classified_case, reviewer=dermatologist, decision="override",
                           diagnosis="mel" if headline["diagnosis"] != "mel" else "bcc", plan="excision")
    headline = selectors.case_headline(case=classified_case)
    assert headline["source"] == "decision" and headline["plan"] == "Excision"
    _record(classified_case, staff, diagnosis="df", report_reference="LAB-9")
    headline = selectors.case_headline(case=classified_case)
    assert (headline["source"], headline["diagnosis"]) == ("histology", "df")
    assert "LAB-9" in headline["detail"]


def test_no_headline_before_anything(uploaded_case):
    assert selectors.case_headline(case=uploaded_case) is None


def test_case_page_leads_with_the_headline(staff_client, classified_case, dermatologist, staff):
    page = staff_client.get(classified_case.get_absolute_url()).content.decode()
    assert 'data-source="ai"' in page
    # Following up the AI's malignant class needs a reason (diagnosis.review.rules).
    review_services.review_submit(case=classified_case, reviewer=dermatologist, decision="confirm", plan="follow_up",
                           follow_up_months=3, downgrade_reason="Small and stable")
    page = html.unescape(staff_client.get(classified_case.get_absolute_url()).content.decode())
    assert 'data-source="decision"' in page and "Plan: Follow-up in 3 months" in page
    assert page.index('data-testid="case-headline"') < page.index('data-testid="ai-summary"')
    _record(classified_case, staff, diagnosis="bkl", report_reference="LAB-77")
    page = html.unescape(staff_client.get(classified_case.get_absolute_url()).content.decode())
    assert 'data-source="histology"' in page and "Histology: Benign keratosis-like lesion" in page
    assert "LAB-77" in page


@pytest.mark.parametrize("who", ["staff_client", "dermatologist_client"])
def test_histology_page(request, classified_case, who):
    client = request.getfixturevalue(who)
    url = reverse("diagnosis:histology", args=[classified_case.public_id])
    assert client.get(url).status_code == 200
    future = (TODAY() + datetime.timedelta(days=1)).isoformat()
    refused = client.post(url, {"diagnosis": "mel", "reported_on": future, "report_reference": "R1"})
    assert refused.status_code == 400 and "cannot be in the future" in html.unescape(refused.content.decode())
    done = client.post(url, {"diagnosis": "mel", "reported_on": TODAY().isoformat(), "report_reference": "R1"})
    assert done.status_code == 302
    assert classified_case.histologies.get().report_reference == "R1"


@pytest.mark.parametrize(("who", "status"), [("outsider_staff", 404), ("outsider_dermatologist", 404), ("admin_user", 403)])
def test_histology_page_refuses_others(client, request, classified_case, who, status):
    client.force_login(request.getfixturevalue(who))
    url = reverse("diagnosis:histology", args=[classified_case.public_id])
    assert client.get(url).status_code == status
    body = {"diagnosis": "mel", "reported_on": TODAY().isoformat(), "report_reference": "R1"}
    assert client.post(url, body).status_code == status
    assert not Histology.objects.exists()


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.mark.parametrize("who", ["staff", "dermatologist"])
def test_api_enters_and_the_case_detail_leads_with_it(classified_case, request, who):
    user = request.getfixturevalue(who)
    detail = f"/api/cases/{classified_case.public_id}/"
    assert _api(user).get(detail).json()["headline"]["source"] == "ai"
    url = f"/api/cases/{classified_case.public_id}/histology/"
    refused = _api(user).post(url, {"diagnosis": "mel", "reported_on": "2999-01-01", "report_reference": "X"}, format="json")
    assert refused.status_code == 422 and list(refused.json()) == ["reported_on"]
    created = _api(user).post(url, {"diagnosis": "other", "reported_on": TODAY().isoformat(), "report_reference": "X-1"},
                              format="json")
    assert created.status_code == 201, created.content
    assert created.json()["diagnosis"] == "other" and created.json()["entered_by"] == user.username
    rows = _api(user).get(url).json()
    assert [(r["report_reference"], r["is_current"]) for r in rows] == [("X-1", True)]
    headline = _api(user).get(detail).json()["headline"]
    assert headline["source"] == "histology" and headline["diagnosis"] == "other"


def test_api_case_detail_headline_is_the_decision_with_its_plan(classified_case, dermatologist, staff):
    review_services.review_submit(case=classified_case, reviewer=dermatologist, decision="confirm", plan="biopsy")
    headline = _api(staff).get(f"/api/cases/{classified_case.public_id}/").json()["headline"]
    assert headline["source"] == "decision" and headline["plan"] == "Biopsy" and headline["flag"] == ""


@pytest.mark.parametrize(("who", "status"), [("outsider_staff", 404), ("outsider_dermatologist", 404), ("admin_user", 403)])
def test_api_refuses_others(classified_case, request, who, status):
    url = f"/api/cases/{classified_case.public_id}/histology/"
    api = _api(request.getfixturevalue(who))
    assert api.get(url).status_code == status
    body = {"diagnosis": "mel", "reported_on": TODAY().isoformat(), "report_reference": "R"}
    assert api.post(url, body, format="json").status_code == status
    assert not Histology.objects.exists()
