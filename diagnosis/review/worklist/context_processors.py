from dermplatform.accounts.models import Role
from diagnosis.review.worklist.selectors import worklist_items


def worklist_count(request):
    """The number of open worklist items, for the top bar of the clinic's staff and dermatologists."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.role not in (Role.STAFF, Role.DERMATOLOGIST):
        return {}
    return {"worklist_open": len(worklist_items(user=user))}
