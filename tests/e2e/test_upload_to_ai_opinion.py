"""The whole path in a real browser: staff upload, the Celery worker classifies, the page shows the AI's opinion."""

import pytest

from patients.models import CaseStatus
from tests.e2e.conftest import sign_in, wait_for_images
from tests.factories import PASSWORD, CaseFactory, PatientFactory, StaffFactory
from tests.images import jpeg_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_case_page_updates_when_the_ai_has_answered(page, celery_worker_process, active_model, tmp_path):
    staff = StaffFactory()
    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    lesion = tmp_path / "lesion.jpg"
    lesion.write_bytes(jpeg_bytes(size=(600, 450), seed=31))

    sign_in(page, staff.username, PASSWORD)
    page.goto(f"/cases/{case.public_id}/")
    page.set_input_files("input[type=file]", [str(lesion)])
    page.get_by_role("button", name="Upload").click()
    assert page.get_by_test_id("ai-pending").is_visible()
    assert page.get_by_test_id("image-ai").inner_text() == "Awaiting AI"

    # No manual reload: the page polls the API and reloads itself once the worker has answered.
    page.get_by_test_id("ai-summary").wait_for(timeout=90_000)
    assert page.get_by_test_id("case-status").inner_text() == "Awaiting review"
    assert page.get_by_test_id("image-ai").inner_text().startswith("AI: ")
    wait_for_images(page, "[data-testid=heatmap]")
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_REVIEW
