"""Two dermatologists and one waiting case in real browsers: the first claims it by opening it, the second sees
who holds it and reads it without a decision form; the first decides with a plan and the case's headline turns
from the AI's flag to the decision."""

import os
from pathlib import Path

import pytest
from django.conf import settings

from diagnosis.models import ReviewClaim
from diagnosis.triage import triage_refresh
from patients import services as patient_services
from patients.models import Case, CaseStatus
from tests.clinical_world import add_prediction
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, CaseFactory, DermatologistFactory, PatientFactory, StaffFactory
from tests.images import jpeg_bytes, upload

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("DERM_SCREENSHOTS", Path(settings.BASE_DIR) / "var" / "screenshots"))


def _waiting_case(staff):
    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    (image,) = patient_services.images_upload(case=case, files=[upload(jpeg_bytes(seed=31))], uploaded_by=staff)
    add_prediction(image, mel=0.6)  # flagged for melanoma
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.AWAITING_REVIEW)
    triage_refresh(case_ids=[case.pk])  # what the services do after an AI opinion
    return case


def _watch_console(page):
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_claim_decide_with_a_plan_and_see_the_headline_change(page, browser, live_server):
    staff = StaffFactory()
    holder = DermatologistFactory(clinic=staff.clinic, first_name="Ada", last_name="Byron")
    colleague = DermatologistFactory(clinic=staff.clinic)
    case = _waiting_case(staff)
    errors = _watch_console(page)

    sign_in(page, holder.username, PASSWORD)
    page.wait_for_url("**/review/")
    page.get_by_test_id("queue").get_by_role("link", name="Review").first.click()
    page.wait_for_url(f"**/review/cases/{case.public_id}/")
    assert "You are reviewing this case" in page.get_by_test_id("claim").inner_text()
    headline = page.get_by_test_id("case-headline")
    assert headline.get_attribute("data-source") == "ai"
    assert "Suspicious for melanoma" in headline.inner_text()

    other = browser.new_context(base_url=live_server.url)
    other.set_default_timeout(15_000)
    second = other.new_page()
    errors += _watch_console(second)
    sign_in(second, colleague.username, PASSWORD)
    second.wait_for_url("**/review/")
    assert "Ada Byron since" in second.get_by_test_id("queue-claim").inner_text()
    second.get_by_test_id("queue").get_by_role("link", name="Review").first.click()
    claim = second.get_by_test_id("claim")
    assert "Ada Byron is reviewing this case" in claim.inner_text()
    assert claim.get_by_role("button", name="Take over this case").is_visible()
    assert second.get_by_role("button", name="Record review").count() == 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    second.screenshot(path=str(SHOTS / "dermatologist-review-claimed-by-a-colleague.png"), full_page=True)
    second.goto("/review/")
    second.screenshot(path=str(SHOTS / "dermatologist-queue-with-a-claim.png"), full_page=True)
    assert ReviewClaim.objects.get(case=case).holder == holder

    page.get_by_label("Override with another diagnosis").check()
    page.select_option("#id_diagnosis", "bcc")
    page.get_by_label("Excision", exact=True).check()
    page.get_by_role("button", name="Record review").click()
    page.wait_for_url("**/review/")
    assert "Review recorded" in page.locator(".messages").inner_text()
    assert not ReviewClaim.objects.filter(case=case).exists()

    page.goto(f"/review/cases/{case.public_id}/")
    headline = page.get_by_test_id("case-headline")
    assert headline.get_attribute("data-source") == "decision"
    assert page.get_by_test_id("headline-text").inner_text() == "Dermatologist: Basal cell carcinoma"
    assert page.get_by_test_id("headline-plan").inner_text() == "Plan: Excision"
    assert page.get_by_test_id("claim").count() == 0  # a reviewed case is nobody's
    second.goto(f"/review/cases/{case.public_id}/")
    assert second.get_by_test_id("claim").count() == 0
    assert second.get_by_test_id("case-headline").get_attribute("data-source") == "decision"
    other.close()
    assert errors == []
