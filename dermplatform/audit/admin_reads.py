"""Reads of clinical data in the Django admin leave an audit event, like page and API reads.

One ModelAdmin base, used by every admin that shows clinical records (patients, cases, images, predictions,
reviews, classification jobs, validation runs, clinic thresholds) and by the value history lists: its changelist,
change page and history page each record one event, with the record (type and public id) where there is one and
the client address and request id of the request being served (AuditMiddleware binds them).

A search (`?q=`) records the number of results and a keyed hash of the term (HMAC-SHA256 with the SECRET_KEY, the
term stripped and case-folded), never the term: admins search by name and record number. Whoever holds the key can
tell whether a given term was searched (`search_digest(term)`); nobody can read the terms back.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.crypto import salted_hmac

from .models import Action, Outcome
from .services import event_record, object_type_of

READ_METHODS = ("GET", "HEAD")
_SEARCH_SALT = "dermplatform.audit.admin_search"


def search_digest(term: str) -> str:
    """The keyed hash an admin search is recorded under (64 hex digits)."""
    return salted_hmac(_SEARCH_SALT, term.strip().casefold(), algorithm="sha256").hexdigest()


def audit_ref(obj) -> tuple[str, object]:
    """The record an event names for `obj`: itself by public id, or the case or image it belongs to (a review, a
    histology, a classification job have no public id of their own), or only its type."""
    if obj is None:
        return "", None
    if getattr(obj, "public_id", None) is not None:
        return object_type_of(obj._meta.model), obj.public_id
    for parent in ("case", "image"):
        if getattr(obj, f"{parent}_id", None) is not None:
            return audit_ref(getattr(obj, parent))
    return object_type_of(obj._meta.model), None


class AuditedReadsAdmin(admin.ModelAdmin):
    """Records one audit event for each changelist, search, change page and history page it answers."""

    def audit_list_target(self, request, changelist) -> tuple[str, str, object, bool]:
        """(action, object type, object id, whether the search term is recorded) for a changelist."""
        action = Action.ADMIN_SEARCH if changelist.query else Action.ADMIN_LIST
        return action, object_type_of(self.model), None, bool(changelist.query)

    def audit_object(self, obj) -> tuple[str, object]:
        return audit_ref(obj)

    def changelist_view(self, request, extra_context=None):
        try:
            response = super().changelist_view(request, extra_context)
        except PermissionDenied:
            self._audit_denied(request, Action.ADMIN_LIST)
            raise
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if request.method in READ_METHODS and changelist is not None:
            action, object_type, object_id, with_term = self.audit_list_target(request, changelist)
            event_record(
                action=action,
                actor=request.user,
                object_type=object_type,
                object_id=object_id,
                status_code=response.status_code,
                search_digest=search_digest(changelist.query) if with_term else "",
                result_count=changelist.result_count,
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return self._audited(request, Action.ADMIN_VIEW, "original",
                             lambda: super(AuditedReadsAdmin, self).change_view(request, object_id, form_url,
                                                                                extra_context))

    def history_view(self, request, object_id, extra_context=None):
        return self._audited(request, Action.ADMIN_HISTORY, "object",
                             lambda: super(AuditedReadsAdmin, self).history_view(request, object_id, extra_context))

    def _audited(self, request, action, context_key, view):
        try:
            response = view()
        except PermissionDenied:
            self._audit_denied(request, action)
            raise
        obj = (getattr(response, "context_data", None) or {}).get(context_key)
        if request.method in READ_METHODS and obj is not None:
            object_type, object_id = self.audit_object(obj)
            event_record(action=action, actor=request.user, object_type=object_type, object_id=object_id,
                         status_code=response.status_code)
        return response

    def _audit_denied(self, request, action) -> None:
        event_record(action=action, actor=request.user, object_type=object_type_of(self.model),
                     outcome=Outcome.DENIED, status_code=403)
