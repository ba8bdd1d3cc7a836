"""The review page tells the lesion's story: links to the case, lesion, patient and PDF; whether this is a
follow-up visit; the earlier visits of the same lesion (AI opinion, decision, histology), only the clinic's own;
the plain image beside the heat-map; a fixed number of queries whatever the number of visits."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diagnosis.inference import services as inference_services
from diagnosis.review import selectors
from diagnosis.review import services as review_services
from patients import services as patient_services
from tests.factories import CaseFactory, PatientFactory
from tests.images import jpeg_bytes, upload

pytestmark = pytest.mark.django_db


def _visit(case_kwargs, user, seed, capture):
    case = CaseFactory(**case_kwargs, created_by=user)
    with capture():
        patient_services.images_upload(case=case, files=[upload(jpeg_bytes(seed=seed))], uploaded_by=user)
    for image in case.images.all():
        inference_services.image_classify(image_id=image.pk)
    case.refresh_from_db()
    return case


@pytest.fixture
def first_visit(staff, dermatologist, active_model, django_capture_on_commit_callbacks):
    patient = PatientFactory(clinic=staff.clinic, created_by=staff)
    case = _visit({"patient": patient}, staff, 11, django_capture_on_commit_callbacks)
    review_services.review_submit(case=case, reviewer=dermatologist, decision="confirm", plan="excision")
    review_services.histology_record(case=case, user=staff, diagnosis="bcc", reported_on=datetime.date(2026, 1, 5),
                              report_reference="H-EARLIER-7")
    return case


def _follow_up(first_visit, staff, seed, capture):
    return _visit({"patient": first_visit.patient, "lesion": first_visit.lesion}, staff, seed, capture)


def test_first_visit_links_and_no_earlier_visits(dermatologist_client, first_visit):
    page = dermatologist_client.get(reverse("diagnosis:case_review", args=[first_visit.public_id])).content.decode()
    assert f'href="{first_visit.get_absolute_url()}"' in page
    assert f'href="{reverse("patients:lesion_detail", args=[first_visit.lesion.public_id])}"' in page
    assert f'href="{first_visit.patient.get_absolute_url()}"' in page
    assert f'href="{reverse("reports:case_pdf", args=[first_visit.public_id])}"' in page
    assert "visit 1 of 1" in page and 'data-testid="follow-up-visit"' not in page
    assert 'data-testid="earlier-visits"' not in page
    # The image without the heat-map is reachable whatever the viewer shows.
    image = first_visit.images.get()
    assert 'data-testid="plain-image"' in page and f'href="{image.content_url()}"' in page


def test_follow_up_visit_lists_the_earlier_visit(dermatologist_client, first_visit, staff, django_capture_on_commit_callbacks):
    case = _follow_up(first_visit, staff, 12, django_capture_on_commit_callbacks)
    page = dermatologist_client.get(reverse("diagnosis:case_review", args=[case.public_id])).content.decode()
    assert "visit 2 of 2" in page and 'data-testid="follow-up-visit"' in page
    assert page.count('data-testid="earlier-visit"') == 1
    assert f'href="{first_visit.get_absolute_url()}"' in page
    assert 'data-testid="earlier-visit-flag"' in page and 'data-testid="earlier-visit-top"' in page
    assert "Histology: Basal cell carcinoma" in page
    assert 'data-testid="earlier-visit-decision">Decision:' in page
    assert first_visit.created_at.strftime("%Y-%m-%d") in page


def test_other_clinics_visits_are_never_shown(
    dermatologist, first_visit, staff, outsider_staff, other_clinic, django_capture_on_commit_callbacks
):
    # A case of another clinic wrongly tied to the same lesion: never listed.
    foreign_patient = PatientFactory(clinic=other_clinic, created_by=outsider_staff)
    foreign = CaseFactory(patient=foreign_patient, lesion=first_visit.lesion, created_by=outsider_staff)
    case = _follow_up(first_visit, staff, 13, django_capture_on_commit_callbacks)
    story = selectors.lesion_story(user=dermatologist, case=case)
    assert [row["case"].pk for row in story["earlier"]] == [first_visit.pk]
    assert story["visit_number"] == 2 and story["visit_count"] == 2
    assert foreign.pk not in [row["case"].pk for row in story["earlier"]]


def test_review_page_queries_do_not_grow_with_visits(
    dermatologist_client, first_visit, staff, django_capture_on_commit_callbacks
):
    def queries(case):
        with CaptureQueriesContext(connection) as captured:
            assert dermatologist_client.get(reverse("diagnosis:case_review", args=[case.public_id])).status_code == 200
        return len(captured)

    second = _follow_up(first_visit, staff, 14, django_capture_on_commit_callbacks)
    few = queries(second)
    for seed in (15, 16):
        _follow_up(first_visit, staff, seed, django_capture_on_commit_callbacks)
    last = _follow_up(first_visit, staff, 17, django_capture_on_commit_callbacks)
    assert queries(last) == few
