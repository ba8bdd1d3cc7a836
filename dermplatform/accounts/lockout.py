"""Sign-in lockout by the pair (user name, client address), with a separate, higher limit for an address alone.

django-axes counts failures per lockout parameter (AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"],
"ip_address"]) but compares every count with one limit. Five wrong passwords must lock only that user at that
address (so nobody can lock a colleague out from elsewhere), while one address trying many user names is stopped
at DERM_LOCKOUT_ADDRESS_FAILURES: this handler gives the address its own limit.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit, get_lockout_parameters
from django.conf import settings
from django.db.models import Sum

PAIR = ("username", "ip_address")
ADDRESS = "ip_address"


def _failures(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def _by_parameter(request, credentials, querysets) -> dict:
    """django-axes' querysets (one per lockout parameter, in the settings' order) keyed by their parameter."""
    keys = [tuple(p) if isinstance(p, list | tuple) else p for p in get_lockout_parameters(request, credentials)]
    return dict(zip(keys, querysets, strict=True))


class PairAndAddressLockout(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        """The failures that count against the pair's limit (AXES_FAILURE_LIMIT): the pair's own, or, once the
        address alone has reached its higher limit, at least the pair's limit (locked whatever the user name)."""
        attempts = _by_parameter(request, credentials, self.get_user_attempts(request, credentials))
        pair = _failures(attempts[PAIR])
        if _failures(attempts[ADDRESS]) >= settings.DERM_LOCKOUT_ADDRESS_FAILURES:
            return max(pair, get_failure_limit(request, credentials))
        return pair

    def reset_user_attempts(self, request, credentials=None) -> int:
        """A successful sign-in forgets that user's failures from that address only: a sprayer holding one valid
        account must not wipe the address's count of failures on other names."""
        attempts = _by_parameter(request, credentials, self.filter_user_attempts(request, credentials))
        count, _ = attempts[PAIR].delete()
        return count
