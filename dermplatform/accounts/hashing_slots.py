"""Password hashing takes a machine-wide slot, so that a burst of sign-ins never takes every core and every web
worker: the other pages keep being served.

At most DERM_SIGN_IN_SLOTS passwords are hashed at once on the machine (default: the cores less one, at least
one; 0 turns the limit off), across every worker process (dermplatform.slots). A password check that finds
them all busy waits for one, up to DERM_SIGN_IN_WAIT seconds, but only DERM_SIGN_IN_WAITING checks wait at a
time: each waiter holds a sync web worker, so an unbounded wait would starve the pages as surely as hashing did.
Past either bound the check raises slots.Busy with status 429 and Retry-After, answered by SignInBusyMiddleware on
the pages and by the API's exception handler on POST /api/token/; no password was checked, so django-axes counts no
failure.

The slot is taken by the password hashers (dermplatform.accounts.hashers), so every place that checks or sets a
password is covered: the sign-in page, the admin's, POST /api/token/, password change, and the hash of a made-up
password that Django computes for an unknown user name (a burst of those costs as much as real sign-ins).
"""

from contextlib import contextmanager

from django.conf import settings

from dermplatform import slots

HASHING, WAITING = "password-hashing", "password-hashing-waiting"
RETRY_AFTER_SECONDS = 2
BUSY_MESSAGE = "The server is busy signing in other people. Please try again in a few seconds."


def _busy() -> slots.Busy:
    """Every password-hashing slot stayed busy (or the waiting places were full): try again in a moment."""
    return slots.Busy(HASHING, messages=[BUSY_MESSAGE], retry_after=RETRY_AFTER_SECONDS, status_code=429)


@contextmanager
def password_hashing_slot():
    count = settings.DERM_SIGN_IN_SLOTS
    if count <= 0:
        yield
        return
    try:
        slot = slots.acquire(HASHING, count=count, wait=0)
    except slots.Busy:
        slot = _wait_for_a_slot(count)
    try:
        yield
    finally:
        slot.release()


def _wait_for_a_slot(count: int) -> slots.Slot:
    if settings.DERM_SIGN_IN_WAITING <= 0:
        raise _busy() from None
    try:
        place = slots.acquire(WAITING, count=settings.DERM_SIGN_IN_WAITING, wait=0)
    except slots.Busy:
        raise _busy() from None
    try:
        return slots.acquire(HASHING, count=count, wait=settings.DERM_SIGN_IN_WAIT)
    except slots.Busy:
        raise _busy() from None
    finally:
        place.release()
