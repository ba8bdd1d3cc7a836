"""Histology that contradicts a decision, in a real browser: staff enter it on the case's page, the case page warns
at once, and the dermatologist who decided finds it at the top of their queue, opens the review page, sees the
warning and decides again; the case then leaves their list."""

import os
from pathlib import Path

import pytest
from django.conf import settings

from diagnosis import opinion
from diagnosis.inference import services as inference_services
from diagnosis.models import Review
from patients import services as patient_services
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, CaseFactory, DermatologistFactory, PatientFactory, StaffFactory
from tests.images import jpeg_bytes, upload

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("DERM_SCREENSHOTS", Path(settings.BASE_DIR) / "var" / "screenshots"))


def _sign_out(page):
    page.context.clear_cookies()


def test_discordant_histology_reaches_the_dermatologist(page, active_model):
    staff = StaffFactory()
    derm = DermatologistFactory(clinic=staff.clinic)
    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    for image in patient_services.images_upload(case=case, files=[upload(jpeg_bytes(seed=33))], uploaded_by=staff):
        inference_services.image_classify(image_id=image.pk)
    # A benign decision to reassure, stored directly: the rules are tested elsewhere, the warning here.
    ai = opinion.case_ai_summary(case)["top_class"] or ""
    Review.objects.create(case=case, reviewer=derm, decision="override", diagnosis="nv" if ai != "nv" else "bkl",
                          ai_diagnosis=ai, plan="reassure")

    sign_in(page, staff.username, PASSWORD)
    page.goto(case.get_absolute_url())
    page.get_by_test_id("enter-histology").click()
    page.select_option("#id_diagnosis", "mel")
    page.fill("#id_reported_on", "2026-11-20")
    page.fill("#id_report_reference", "PATH-2026-0042")
    page.get_by_role("button", name="Record histology").click()
    page.wait_for_url(f"**{case.get_absolute_url()}")
    warning = page.get_by_test_id("histology-discordant")
    assert warning.is_visible() and "Call the patient back" in warning.inner_text()

    _sign_out(page)
    sign_in(page, derm.username, PASSWORD)
    page.wait_for_url("**/review/")
    contradicted = page.get_by_test_id("decisions-contradicted")
    assert contradicted.is_visible() and case.patient.medical_record_number in contradicted.inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dermatologist-queue-histology-contradicts.png"), full_page=True)

    contradicted.get_by_role("link").first.click()
    page.wait_for_url(f"**/review/cases/{case.public_id}/")
    assert page.get_by_test_id("histology-discordant").is_visible()

    # Decided again in line with the histology: the warning and the queue entry go.
    if ai == "mel":
        page.get_by_label("Confirm the AI's diagnosis").check()
    else:
        page.get_by_label("Override with another diagnosis").check()
        page.select_option("#id_diagnosis", "mel")
    page.get_by_label("Excision", exact=True).check()
    page.get_by_role("button", name="Record review").click()
    page.wait_for_url("**/review/")
    assert page.get_by_test_id("decisions-contradicted").count() == 0
    current = Review.objects.get(case=case, superseded_by__isnull=True)
    assert (current.diagnosis, current.plan) == ("mel", "excision")
