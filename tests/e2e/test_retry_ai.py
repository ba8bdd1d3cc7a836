"""Retry AI in a real browser (issue 20, items 2 and 6): a case in review whose AI failed on one image offers the
button, and pressing it leaves the case awaiting review; a case whose images waited too long says "delayed", not
"updates by itself", and offers the button too."""

from datetime import timedelta

import pytest
from django.utils import timezone

from diagnosis.inference import services as diagnosis_services
from diagnosis.models import ClassificationJob, Prediction
from patients import services as patient_services
from patients.models import Case, CaseStatus, LesionImage
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, CaseFactory, PatientFactory, StaffFactory
from tests.images import jpeg_bytes, upload

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_partly_failed_case_is_retried_from_its_page_and_stays_in_review(page, active_model):
    staff = StaffFactory()
    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    classified, failed = patient_services.images_upload(
        case=case, files=[upload(jpeg_bytes(seed=7101)), upload(jpeg_bytes(seed=7301, color=(60, 60, 200)))],
        uploaded_by=staff,
    )
    prediction = diagnosis_services.image_classify(image_id=classified.pk)
    diagnosis_services.image_classification_failed(image_id=failed.pk, error="The stored image could not be read")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.AWAITING_REVIEW

    sign_in(page, staff.username, PASSWORD)
    page.goto(case.get_absolute_url())
    retry = page.get_by_test_id("ai-retry")
    assert retry.is_visible() and "could not classify some images" in retry.inner_text()
    retry.get_by_role("button", name="Retry AI").click()
    page.wait_for_url(f"**{case.get_absolute_url()}")
    assert "1 image(s) sent to the AI again." in page.content()
    assert page.get_by_test_id("case-status").inner_text() == "Awaiting review"
    assert list(Prediction.objects.filter(image__case=case)) == [prediction]
    assert not ClassificationJob.objects.get(image=failed).failed


def test_a_delayed_case_says_so_and_offers_retry(page, active_model):
    staff = StaffFactory()
    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    patient_services.images_upload(case=case, files=[upload(jpeg_bytes(seed=7501))], uploaded_by=staff)
    # Uploaded eleven minutes ago, and its message lost: nothing answered.
    LesionImage.objects.filter(case=case).update(uploaded_at=timezone.now() - timedelta(minutes=11))
    ClassificationJob.objects.filter(image__case=case).update(queued_at=timezone.now() - timedelta(minutes=11))

    sign_in(page, staff.username, PASSWORD)
    page.goto(case.get_absolute_url())
    assert "The AI is delayed: 1 image waiting for it since" in page.get_by_test_id("ai-delayed").inner_text()
    assert page.get_by_test_id("ai-pending").count() == 0
    page.get_by_test_id("ai-retry").get_by_role("button", name="Retry AI").click()
    page.wait_for_url(f"**{case.get_absolute_url()}")
    assert "1 image(s) sent to the AI again." in page.content()
    assert page.get_by_test_id("ai-delayed").count() == 0 and page.get_by_test_id("ai-pending").is_visible()
