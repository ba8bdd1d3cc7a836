"""Session lifetime: signed out after DERM_SESSION_IDLE_SECONDS without activity, and SESSION_COOKIE_AGE after
signing in whatever the activity. The server decides; static/js/session_timeout.js only warns a minute before.

Requests a page makes by itself (status polling, the warning's own check) send `X-Session-Activity: background`
and do not count as activity, so an open page left alone still times out.
"""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from dermplatform.audit.models import Action
from dermplatform.audit.services import event_record

SIGNED_IN_AT = "signed_in_at"
LAST_ACTIVITY = "last_activity"
BACKGROUND_HEADER = "HTTP_X_SESSION_ACTIVITY"
# Why the server ended the session ("idle" or "lifetime"), kept in the fresh session for the sign-in page to say.
SIGNED_OUT_REASON = "signed_out_reason"
# Activity is written at most this often: not a session write on every request.
TOUCH_EVERY_SECONDS = 10


def _now() -> float:
    return time.time()


def _ends(session, now: float) -> tuple[float, float]:
    idle_end = session.get(LAST_ACTIVITY, now) + settings.DERM_SESSION_IDLE_SECONDS
    absolute_end = session.get(SIGNED_IN_AT, now) + settings.SESSION_COOKIE_AGE
    return idle_end, absolute_end


def seconds_left(session, now: float | None = None) -> int:
    """Seconds before this session ends: by idling (from its last activity) or by its absolute lifetime."""
    now = _now() if now is None else now
    return int(min(_ends(session, now)) - now)


def signed_out_message(reason: str | None) -> str:
    """What the sign-in page tells someone the server signed out, in plain words; empty for any other visit."""
    if reason == "idle":
        minutes = max(1, round(settings.DERM_SESSION_IDLE_SECONDS / 60))
        return f"You were signed out after {minutes} minute{'s' if minutes != 1 else ''} without activity. Sign in again to go on."
    if reason == "lifetime":
        hours = max(1, round(settings.SESSION_COOKIE_AGE / 3600))
        return f"You were signed out {hours} hour{'s' if hours != 1 else ''} after signing in. Sign in again to go on."
    return ""


def session_touch(session, now: float | None = None) -> None:
    now = _now() if now is None else now
    session.setdefault(SIGNED_IN_AT, now)
    if now - session.get(LAST_ACTIVITY, 0) >= TOUCH_EVERY_SECONDS:
        session[LAST_ACTIVITY] = now


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if SESSION_KEY in session:
            now = _now()
            if seconds_left(session, now) <= 0:
                user = request.user if request.user.is_authenticated else None  # read before the flush
                idle_end, absolute_end = _ends(session, now)
                # Not logout(): the person did not sign out, and the trail should say which it was.
                session.flush()
                session[SIGNED_OUT_REASON] = "idle" if idle_end <= absolute_end else "lifetime"
                request.user = AnonymousUser()
                event_record(action=Action.SESSION_EXPIRED, actor=user)
            elif request.META.get(BACKGROUND_HEADER) != "background":
                session_touch(session, now)
        return self.get_response(request)


@receiver(user_logged_in, dispatch_uid="session_lifetime_starts")
def _session_starts(sender, request, user, **kwargs):
    # A fresh sign-in starts both clocks, even in a session kept from an earlier sign-in.
    if request is not None and hasattr(request, "session"):
        now = _now()
        request.session[SIGNED_IN_AT] = now
        request.session[LAST_ACTIVITY] = now
