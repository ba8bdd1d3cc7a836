"""Sessions end on the server after 15 minutes without activity and 12 hours after signing in, whatever the
browser does: a page polling in the background does not keep an idle session alive."""

import pytest
from rest_framework.test import APIClient

from dermplatform.accounts import sessions
from dermplatform.audit.models import Action, AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

MINUTE = 60
BACKGROUND = {"HTTP_X_SESSION_ACTIVITY": "background"}


@pytest.fixture
def clock(monkeypatch):
    """clock.advance(seconds) moves the sessions' time on."""

    class Clock:
        now = 1_800_000_000.0

        def advance(self, seconds):
            self.now += seconds

    fake = Clock()
    monkeypatch.setattr(sessions, "_now", lambda: fake.now)
    return fake


@pytest.fixture
def signed_in(client, staff, clock):
    assert client.post("/accounts/login/", {"username": staff.username, "password": PASSWORD}).status_code == 302
    return client


def _is_signed_in(client) -> bool:
    return client.get("/patients/").status_code == 200


def test_fifteen_idle_minutes_sign_out(signed_in, clock, staff):
    clock.advance(15 * MINUTE - 5)
    assert _is_signed_in(signed_in)  # activity: the idle clock starts again
    clock.advance(15 * MINUTE + 1)
    response = signed_in.get("/patients/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in signed_in.session
    assert AuditEvent.objects.filter(action=Action.SESSION_EXPIRED, actor=staff).count() == 1
    assert not AuditEvent.objects.filter(action=Action.SIGN_OUT).exists()


def test_background_polling_does_not_keep_an_idle_session_alive(signed_in, clock, case_for):
    case = case_for()
    for _ in range(14):
        clock.advance(MINUTE)
        assert signed_in.get(f"/api/cases/{case.public_id}/ai/", **BACKGROUND).status_code == 200
        assert signed_in.get(f"/cases/{case.public_id}/", **BACKGROUND).status_code == 200
    clock.advance(MINUTE + 1)
    assert signed_in.get(f"/api/cases/{case.public_id}/ai/", **BACKGROUND).status_code == 401
    assert not _is_signed_in(signed_in)


def test_activity_never_outlasts_twelve_hours(signed_in, clock):
    for _ in range(12 * 6 - 1):
        clock.advance(10 * MINUTE)
        assert _is_signed_in(signed_in)
    clock.advance(10 * MINUTE)
    assert not _is_signed_in(signed_in)


def test_a_new_sign_in_starts_both_clocks(signed_in, clock, staff):
    clock.advance(11 * 3600)
    signed_in.post("/accounts/logout/")
    signed_in.post("/accounts/login/", {"username": staff.username, "password": PASSWORD})
    for _ in range(2 * 6):  # past 12 hours from the first sign-in, active
        clock.advance(10 * MINUTE)
        assert _is_signed_in(signed_in)


def test_the_warning_asks_without_extending_and_stay_signed_in_extends(signed_in, clock):
    clock.advance(14 * MINUTE)
    status = signed_in.get("/accounts/session/", **BACKGROUND)
    assert status.json() == {"seconds_left": MINUTE}
    assert status["Cache-Control"] == "private, no-store"
    clock.advance(30)
    assert signed_in.get("/accounts/session/", **BACKGROUND).json() == {"seconds_left": 30}
    assert signed_in.post("/accounts/session/").json() == {"seconds_left": 15 * MINUTE}
    clock.advance(14 * MINUTE)
    assert _is_signed_in(signed_in)


def test_the_idle_limit_comes_from_the_settings(signed_in, clock, settings):
    settings.DERM_SESSION_IDLE_SECONDS = 5 * MINUTE
    clock.advance(5 * MINUTE + 1)
    assert not _is_signed_in(signed_in)


def _sign_in_page_after(client, path: str) -> str:
    response = client.get(path, follow=True)
    assert response.redirect_chain and response.redirect_chain[-1][0].startswith("/accounts/login/")
    return response.content.decode()


def test_the_sign_in_page_says_an_idle_sign_out_happened_once(signed_in, clock, settings):
    settings.DERM_SESSION_IDLE_SECONDS = 20 * MINUTE
    clock.advance(20 * MINUTE + 1)
    page = _sign_in_page_after(signed_in, "/patients/")
    assert "You were signed out after 20 minutes without activity." in page
    assert 'data-testid="signed-out-reason"' in page
    # Said once: a later visit to the sign-in page, or a first visit by anyone, carries no reason.
    assert "signed out" not in signed_in.get("/accounts/login/").content.decode()
    assert "signed out" not in APIClient().get("/accounts/login/").content.decode()


def test_the_warning_scripts_own_check_leaves_the_reason_for_the_sign_in_page(signed_in, clock):
    clock.advance(15 * MINUTE + 1)
    # session_timeout.js asks in the background, is refused, then opens the sign-in page.
    assert signed_in.get("/accounts/session/", **BACKGROUND).status_code == 302
    assert "You were signed out after 15 minutes without activity." in signed_in.get("/accounts/login/").content.decode()


def test_a_session_past_its_lifetime_says_so_and_a_sign_out_says_nothing(signed_in, clock, staff):
    for _ in range(12 * 6):
        clock.advance(10 * MINUTE)
        signed_in.get("/patients/")
    assert "You were signed out 12 hours after signing in." in signed_in.get("/accounts/login/").content.decode()
    signed_in.post("/accounts/login/", {"username": staff.username, "password": PASSWORD})
    signed_in.post("/accounts/logout/")
    assert "signed out" not in signed_in.get("/accounts/login/").content.decode()


def test_pages_carry_the_warning_script_and_its_data(signed_in):
    page = signed_in.get("/patients/").content.decode()
    assert 'src="/static/js/session_timeout.js"' in page
    assert 'data-session-url="/accounts/session/"' in page and f'data-session-seconds="{15 * MINUTE}"' in page
    assert "session_timeout.js" not in APIClient().get("/accounts/login/").content.decode()


def test_token_requests_have_no_session_to_expire(staff, clock, case_for):
    from knox.models import AuthToken

    _, key = AuthToken.objects.create(user=staff)
    clock.advance(24 * 3600)
    response = APIClient().get("/api/patients/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200


@pytest.fixture
def case_for(staff):
    from tests.factories import CaseFactory, PatientFactory

    return lambda: CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
