"""Writes for accounts: unlocking sign-in after a django-axes lockout."""

from axes.utils import reset

from dermplatform.audit.models import Action
from dermplatform.audit.services import event_record


def sign_in_unlock(*, by, username: str | None = None, ip_address: str | None = None) -> int:
    """Forget the failed sign-ins of a user name and/or an address, which lifts their lockout; recorded."""
    removed = reset(username=username, ip=ip_address) if (username or ip_address) else 0
    event_record(action=Action.UNLOCKED, actor=by, object_type="user" if username else "address")
    return removed
