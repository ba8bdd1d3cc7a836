"""API tokens (django-rest-knox): issued for a user name and password, stored as a digest, expiring; revoked by
their user, by an admin, and whenever what they were issued for changes: the user's password, role, clinic, staff
or superuser flag or active flag, their second factor (turned on, or reset or removed by an admin), and when the
user signs out of the site ("sign out" signs out everywhere: the README says so). Each revocation is audited
(auth.token_revoked, naming in changed_fields what made it)."""

from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from dermplatform.audit.models import Action
from dermplatform.audit.services import event_record

from .models import User


def token_issue(*, user) -> tuple[AuthToken, str]:
    """A new token for the user: the instance (digest, expiry) and the key, which is shown once and never stored."""
    instance, key = AuthToken.objects.create(user=user)
    event_record(action=Action.TOKEN_ISSUED, actor=user)
    return instance, key


def tokens_revoke(*, user, by=None, tokens=None, reasons=()) -> int:
    """Revoke the given tokens of the user (all of them if none are given); recorded when any existed, with the
    reasons (what changed: "role", "clinic", "second_factor", "sign_out", ...) as the event's changed fields."""
    queryset = tokens if tokens is not None else AuthToken.objects.filter(user=user)
    count, _ = queryset.filter(user=user).delete()
    if count:
        event_record(action=Action.TOKEN_REVOKED, actor=by if by is not None else user, object_type="user",
                     changed_fields=reasons)
    return count


# What a token is issued for: a change to any of these ends the user's tokens (tokens_bound_fields_changed).
BOUND_FIELDS = ("password", "role", "clinic", "is_staff", "is_superuser", "is_active")


@receiver(pre_save, sender=User, dispatch_uid="tokens_note_credentials")
def _note_credentials(sender, instance, raw=False, **kwargs):
    """Before a save: does it change what the user's tokens were issued for? (then they go, after the save).
    User.save() has already set is_staff from the role."""
    instance._revoke_tokens = []
    if raw or instance.pk is None:
        return
    before = User.objects.filter(pk=instance.pk).values(*BOUND_FIELDS).first()
    if before is None:
        return
    instance._revoke_tokens = [
        name for name in BOUND_FIELDS if before[name] != getattr(instance, User._meta.get_field(name).attname)
    ]


@receiver(post_save, sender=User, dispatch_uid="tokens_revoke_on_credentials")
def _revoke_on_credentials(sender, instance, raw=False, **kwargs):
    changed = getattr(instance, "_revoke_tokens", [])
    if not raw and changed:
        instance._revoke_tokens = []
        tokens_revoke(user=instance, reasons=changed)


# The second factor: a token issued without one (or for a device since reset) is not what the user now needs.
def _note_device(sender, instance, raw=False, **kwargs):
    instance._newly_confirmed = bool(
        not raw and instance.confirmed
        and (instance.pk is None or not sender.objects.filter(pk=instance.pk, confirmed=True).exists())
    )


def _revoke_on_device_confirmed(sender, instance, raw=False, **kwargs):
    if getattr(instance, "_newly_confirmed", False):
        instance._newly_confirmed = False
        tokens_revoke(user=instance.user, reasons=["second_factor"])


def _revoke_on_device_removed(sender, instance, **kwargs):
    # An admin's "reset two-factor sign-in", or a device deleted in the admin.
    if instance.confirmed:
        tokens_revoke(user=instance.user, reasons=["second_factor"])


for _device_model in (TOTPDevice, StaticDevice):
    _label = _device_model._meta.model_name
    pre_save.connect(_note_device, sender=_device_model, dispatch_uid=f"tokens_note_{_label}")
    post_save.connect(_revoke_on_device_confirmed, sender=_device_model, dispatch_uid=f"tokens_revoke_new_{_label}")
    post_delete.connect(_revoke_on_device_removed, sender=_device_model, dispatch_uid=f"tokens_revoke_del_{_label}")


@receiver(user_logged_out, dispatch_uid="tokens_revoke_on_sign_out")
def _revoke_on_sign_out(sender, request, user, **kwargs):
    """Signing out of the site (page or admin) signs out everywhere: the user's API tokens go too. An idle or
    expired session is ended without logout() (accounts.sessions) and leaves the tokens alone."""
    if user is not None:
        tokens_revoke(user=user, reasons=["sign_out"])
