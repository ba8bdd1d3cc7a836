"""Passwords are hashed at most DERM_SIGN_IN_SLOTS at once on the machine, across processes, so that a burst of
sign-ins cannot starve the other pages. While another process holds the slot a sign-in waits, then is refused
clearly (429 with Retry-After, never a 5xx) on the sign-in page, the admin's, POST /api/token/ and password
change; the refusal checks no password, so it counts as no failed sign-in for the lockout, and it is audited.
With the slot free, or once its holder is gone, sign-in works as before."""

import time

import pytest
from axes.models import AccessAttempt
from rest_framework.test import APIClient

from dermplatform import settings as platform_settings
from dermplatform.accounts.hashing_slots import HASHING, WAITING
from dermplatform.audit.models import Action, AuditEvent
from tests.factories import PASSWORD
from tests.slot_holder import slot_held, slot_hold

pytestmark = pytest.mark.django_db

BUSY = "The server is busy signing in other people"


@pytest.fixture(autouse=True)
def _production_hashers(settings, tmp_path):
    # Before the users are made: their passwords are hashed as in production (in a slot, by then still free).
    settings.PASSWORD_HASHERS = platform_settings.PASSWORD_HASHERS
    settings.VAR_DIR = tmp_path


@pytest.fixture
def slot(settings, tmp_path):
    """One hashing slot and one waiting place, a one-second wait; the path of the hashing slot's file."""
    settings.DERM_SIGN_IN_SLOTS = 1
    settings.DERM_SIGN_IN_WAITING = 1
    settings.DERM_SIGN_IN_WAIT = 1
    return tmp_path / "slots" / HASHING / "slot-0.lock"


def _sign_in(client, username, password=PASSWORD, url="/accounts/login/"):
    return client.post(url, {"username": username, "password": password})


def _signed_in(response) -> bool:
    return response.status_code == 302 and "/login/" not in response["Location"]


def test_sign_in_waits_for_the_slot_then_is_refused_clearly_and_audited(client, staff, slot):
    with slot_held(slot):
        started = time.monotonic()
        refused = _sign_in(client, staff.username)
        waited = time.monotonic() - started
    assert waited >= 1  # it waited for the slot first
    assert refused.status_code == 429 and refused["Retry-After"] == "2"
    assert BUSY in refused.content.decode() and "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action=Action.SIGN_IN_BUSY)
    assert (event.username, event.actor, event.outcome, event.status_code) == (staff.username, None, "refused", 429)
    assert not AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED).exists()
    # The holder gone, the same sign-in goes through.
    assert _signed_in(_sign_in(client, staff.username))


def test_refusals_while_busy_count_as_no_failed_sign_in(client, staff, slot, settings):
    settings.DERM_SIGN_IN_WAIT = 0
    with slot_held(slot):
        for _ in range(settings.AXES_FAILURE_LIMIT + 2):
            assert _sign_in(client, staff.username, "wrong password").status_code == 429
    assert not AccessAttempt.objects.exists()
    assert not AuditEvent.objects.filter(action__in=[Action.SIGN_IN_FAILED, Action.LOCKED_OUT]).exists()
    assert _signed_in(_sign_in(client, staff.username))


def test_an_unknown_user_name_waits_for_the_slot_too(client, db, slot, settings):
    # Django hashes a made-up password for a name with no user (so that timing does not tell): as costly.
    settings.DERM_SIGN_IN_WAIT = 0
    with slot_held(slot):
        assert _sign_in(client, "nobody-here").status_code == 429
    assert not AccessAttempt.objects.exists()


def test_the_token_api_answers_429_json_with_retry_after(staff, slot):
    api = APIClient()
    with slot_held(slot):
        refused = _sign_in(api, staff.username, url="/api/token/")
    assert refused.status_code == 429 and refused["Retry-After"] == "2"
    assert refused.json() == {"errors": [f"{BUSY}. Please try again in a few seconds."]}
    assert "token" in _sign_in(api, staff.username, url="/api/token/").json()


def test_the_token_api_refusal_is_audited_and_counts_as_no_failed_sign_in(staff, slot, settings):
    settings.DERM_SIGN_IN_WAIT = 0
    api = APIClient()
    with slot_held(slot):
        assert _sign_in(api, staff.username, "wrong password", url="/api/token/").status_code == 429
    event = AuditEvent.objects.get(action=Action.SIGN_IN_BUSY)
    assert (event.username, event.actor, event.outcome, event.status_code) == (staff.username, None, "refused", 429)
    assert not AccessAttempt.objects.exists()


def test_the_admin_sign_in_is_refused_clearly(client, admin_user, slot):
    with slot_held(slot):
        refused = _sign_in(client, admin_user.username, url="/admin/login/")
    assert refused.status_code == 429 and BUSY in refused.content.decode()
    assert 'href="/admin/login/"' in refused.content.decode()  # "Try again" leads back to the same page
    assert _sign_in(client, admin_user.username, url="/admin/login/").status_code == 302


def test_a_password_change_is_refused_and_changes_nothing(client, staff, slot):
    client.force_login(staff)
    new = {"old_password": PASSWORD, "new_password1": "another-long-pass-42", "new_password2": "another-long-pass-42"}
    with slot_held(slot):
        refused = client.post("/accounts/password/", new)
    assert refused.status_code == 429 and BUSY in refused.content.decode()
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)
    event = AuditEvent.objects.get(action=Action.SIGN_IN_BUSY)
    assert event.actor == staff
    assert client.post("/accounts/password/", new).status_code == 302
    staff.refresh_from_db()
    assert staff.check_password("another-long-pass-42")


def test_with_every_waiting_place_taken_the_refusal_is_immediate(client, staff, slot, settings, tmp_path):
    settings.DERM_SIGN_IN_WAIT = 30
    with slot_held(slot), slot_held(tmp_path / "slots" / WAITING / "slot-0.lock"):
        started = time.monotonic()
        assert _sign_in(client, staff.username).status_code == 429
        assert time.monotonic() - started < 5  # refused at once: a waiter would hold a web worker for 30 s


def test_sign_in_goes_through_when_the_slot_frees_within_the_wait(client, staff, slot, settings):
    settings.DERM_SIGN_IN_WAIT = 10
    holder = slot_hold(slot, 1)
    started = time.monotonic()
    assert _signed_in(_sign_in(client, staff.username))
    assert time.monotonic() - started >= 0.5
    holder.wait()
    holder.stdout.close()


def test_with_the_slot_free_sign_in_works_and_leaves_the_slot_free(client, staff, slot):
    assert _signed_in(_sign_in(client, staff.username))
    with slot_held(slot, 1):  # the holder takes the slot at once: the sign-in gave it back
        pass


def test_with_the_limit_off_nothing_waits(client, staff, slot, settings):
    settings.DERM_SIGN_IN_SLOTS = 0
    with slot_held(slot):
        assert _signed_in(_sign_in(client, staff.username))
