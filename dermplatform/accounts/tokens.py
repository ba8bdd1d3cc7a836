"""API tokens (django-rest-knox): issued for a user name and password, stored as a digest, expiring; revoked by
their user, by an admin, and whenever the user's password changes or the user is deactivated."""

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from knox.models import AuthToken

from dermplatform.audit.models import Action
from dermplatform.audit.services import event_record

from .models import User


def token_issue(*, user) -> tuple[AuthToken, str]:
    """A new token for the user: the instance (digest, expiry) and the key, which is shown once and never stored."""
    instance, key = AuthToken.objects.create(user=user)
    event_record(action=Action.TOKEN_ISSUED, actor=user)
    return instance, key


def tokens_revoke(*, user, by=None, tokens=None) -> int:
    """Revoke the given tokens of the user (all of them if none are given); recorded when any existed."""
    queryset = tokens if tokens is not None else AuthToken.objects.filter(user=user)
    count, _ = queryset.filter(user=user).delete()
    if count:
        event_record(action=Action.TOKEN_REVOKED, actor=by if by is not None else user, object_type="user")
    return count


@receiver(pre_save, sender=User, dispatch_uid="tokens_note_credentials")
def _note_credentials(sender, instance, raw=False, **kwargs):
    """Before a save: does it change the password or deactivate the user? (then their tokens go)."""
    instance._revoke_tokens = False
    if raw or instance.pk is None:
        return
    before = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    instance._revoke_tokens = before["password"] != instance.password or (before["is_active"] and not instance.is_active)


@receiver(post_save, sender=User, dispatch_uid="tokens_revoke_on_credentials")
def _revoke_on_credentials(sender, instance, raw=False, **kwargs):
    if not raw and getattr(instance, "_revoke_tokens", False):
        instance._revoke_tokens = False
        tokens_revoke(user=instance)
