"""Sign-in, sign-out, failed sign-in and lockout go into the audit trail."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .models import Action, Outcome
from .services import event_record


@receiver(user_logged_in, dispatch_uid="audit_sign_in")
def _signed_in(sender, request, user, **kwargs):
    event_record(action=Action.SIGN_IN, actor=user)


@receiver(user_logged_out, dispatch_uid="audit_sign_out")
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        event_record(action=Action.SIGN_OUT, actor=user)


@receiver(user_login_failed, dispatch_uid="audit_sign_in_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password in `credentials`; only the user name is kept.
    event_record(action=Action.SIGN_IN_FAILED, username=str(credentials.get("username") or ""), outcome=Outcome.DENIED)


@receiver(user_locked_out, dispatch_uid="audit_locked_out")
def _locked_out(sender, request, username, ip_address, **kwargs):
    event_record(action=Action.LOCKED_OUT, username=str(username or ""), outcome=Outcome.DENIED)
