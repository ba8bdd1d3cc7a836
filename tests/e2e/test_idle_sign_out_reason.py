"""In a real browser: a page left open past the idle limit ends on the sign-in page, which says why; signing in
again takes the person back to where they were, and the reason is not repeated."""

import pytest

from dermplatform.accounts import sessions
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, PatientFactory, StaffFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clock(monkeypatch):
    """The sessions' clock (the live server runs in this process): clock.advance(seconds)."""

    class Clock:
        now = 1_800_000_000.0

        def advance(self, seconds):
            self.now += seconds

    fake = Clock()
    monkeypatch.setattr(sessions, "_now", lambda: fake.now)
    return fake


def test_the_sign_in_page_says_why_after_an_idle_sign_out(page, clock, settings):
    settings.DERM_SESSION_IDLE_SECONDS = 10 * 60
    staff = StaffFactory()
    patient = PatientFactory(clinic=staff.clinic, created_by=staff)
    sign_in(page, staff.username, PASSWORD)
    page.wait_for_url("**/patients/")
    page.goto(patient.get_absolute_url())

    clock.advance(10 * 60 + 1)
    page.reload()
    page.wait_for_url("**/accounts/login/**")
    reason = page.get_by_test_id("signed-out-reason")
    assert reason.inner_text() == "You were signed out after 10 minutes without activity. Sign in again to go on."

    page.fill("#id_username", staff.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{patient.get_absolute_url()}")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("load")
    page.goto("/accounts/login/")
    assert page.get_by_test_id("signed-out-reason").count() == 0
