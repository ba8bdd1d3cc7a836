"""With no worker answering, the case page says within DERM_AI_SLOW_SECONDS that the AI is slower than usual,
without a reload (issue 17: a stopped worker shows, where the page used to promise it "updates by itself")."""

import pytest

from patients import services as patient_services
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, CaseFactory, PatientFactory, StaffFactory
from tests.images import jpeg_bytes, upload

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_slow_note_appears_while_the_page_is_open(page, settings, active_model, django_capture_on_commit_callbacks):
    settings.DERM_AI_SLOW_SECONDS = 4
    staff = StaffFactory()
    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    with django_capture_on_commit_callbacks():  # the task is never delivered: no worker answers
        patient_services.images_upload(case=case, files=[upload(jpeg_bytes(seed=4242))], uploaded_by=staff)
    sign_in(page, staff.username, PASSWORD)
    page.goto(case.get_absolute_url())
    assert page.get_by_test_id("ai-pending").is_visible()
    note = page.get_by_test_id("ai-slow")
    note.wait_for(state="visible", timeout=15_000)
    assert "slower than usual" in note.inner_text()
