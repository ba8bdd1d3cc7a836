"""A dermatologist works the review queue in a real browser: image, heat-map, probabilities, decision; a
contradictory decision is refused on the page with what was typed kept, then corrected and recorded."""

import os
from pathlib import Path

import pytest
from django.conf import settings

from diagnosis import opinion
from diagnosis.inference import services as inference_services
from diagnosis.models import Review
from diagnosis.review import services as review_services
from patients import services as patient_services
from patients.models import CaseStatus
from tests.e2e.conftest import sign_in, wait_for_images
from tests.factories import PASSWORD, CaseFactory, DermatologistFactory, PatientFactory, StaffFactory
from tests.images import jpeg_bytes, upload

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("DERM_SCREENSHOTS", Path(settings.BASE_DIR) / "var" / "screenshots"))


def _classified_case(staff, seed):
    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    for image in patient_services.images_upload(case=case, files=[upload(jpeg_bytes(seed=seed))], uploaded_by=staff):
        inference_services.image_classify(image_id=image.pk)
    return case


def test_dermatologist_confirms_from_the_queue(page, active_model):
    staff = StaffFactory()
    derm = DermatologistFactory(clinic=staff.clinic)
    case = _classified_case(staff, seed=21)
    sign_in(page, derm.username, PASSWORD)
    page.wait_for_url("**/review/")
    queue = page.get_by_test_id("queue")
    assert case.patient.medical_record_number in queue.inner_text()

    queue.get_by_role("link", name="Review").first.click()
    page.wait_for_url(f"**/review/cases/{case.public_id}/")
    assert page.get_by_test_id("ai-summary").is_visible()
    wait_for_images(page, "[data-testid=heatmap]")
    top = page.get_by_test_id("ai-top-class").inner_text()

    ai = opinion.case_ai_summary(case)["top_class"]
    assert ai != "mel"  # a melanoma is never followed up (diagnosis.review.rules)
    other = "df" if ai != "df" else "vasc"
    needs_reason = bool(review_services.review_opinion(case).malignant_sources())

    # A contradiction: "Confirm" ticked with another diagnosis chosen. Refused, nothing stored, input kept.
    page.get_by_label("Confirm the AI's diagnosis").check()
    page.select_option("#id_diagnosis", other)
    page.get_by_label("Follow-up", exact=True).check()
    page.fill("#id_follow_up_months", "6")
    page.fill("#id_notes", "Dermoscopy typical; follow up in 6 months.")
    page.get_by_role("button", name="Record review").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("review-refused").is_visible()
    assert "but ticked “Confirm the AI's diagnosis”" in page.content()
    assert page.input_value("#id_diagnosis") == other and page.input_value("#id_follow_up_months") == "6"
    assert page.input_value("#id_notes") == "Dermoscopy typical; follow up in 6 months."
    assert not Review.objects.filter(case=case).exists()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dermatologist-review-contradiction-refused.png"), full_page=True)

    # Corrected: the diagnosis cleared to confirm the AI's; a reason when the AI's opinion is malignant or flagged.
    page.select_option("#id_diagnosis", "")
    if needs_reason:
        assert page.get_by_test_id("downgrade-note").is_visible()
        page.fill("#id_downgrade_reason", "Small and stable; the patient prefers to watch it.")
    page.get_by_role("button", name="Record review").click()
    page.wait_for_url("**/review/")
    assert "Review recorded" in page.locator(".messages").inner_text()
    assert "No cases are waiting for review" in page.content()

    review = Review.objects.get(case=case)
    assert review.reviewer == derm and review.decision == "confirm"
    assert (review.plan, review.follow_up_months) == ("follow_up", 6)
    assert review.is_downgrade == needs_reason
    case.refresh_from_db()
    assert case.status == CaseStatus.REVIEWED
    # The staff's case page shows the decision.
    page.goto(f"/cases/{case.public_id}/")
    assert f"Confirm the AI's diagnosis: {top}" in page.get_by_test_id("reviews").inner_text()
