from dermplatform.api import policy
from diagnosis.review.worklist.selectors import worklist_items


def worklist_count(request):
    """The number of open worklist items, for the top bar of the clinic's staff and dermatologists."""
    user = getattr(request, "user", None)
    if not policy.can_read_clinical(user):
        return {}
    return {"worklist_open": len(worklist_items(user=user))}
