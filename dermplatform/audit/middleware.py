from urllib.parse import urlsplit

from django.urls import Resolver404, resolve

from . import context, history
from .models import AuditEvent, Outcome
from .routes import audited_action, is_read
from .services import event_record

DENIED_STATUSES = frozenset({401, 403, 404})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# The pages a request is sent to before it may read anything: sign-in and the second factor.
GATE_VIEWS = frozenset({"login", "admin:login", "two_factor_verify", "two_factor_setup"})


def is_gate_redirect(response) -> bool:
    """Was the request answered by a redirect to sign in or to the second factor (nothing read or written)?"""
    if response.status_code not in REDIRECT_STATUSES:
        return False
    try:
        return resolve(urlsplit(response.get("Location", "")).path).view_name in GATE_VIEWS
    except Resolver404:
        return False


class AuditMiddleware:
    """Binds the request's id and client address for the audit trail, and records every signed-in access to a
    route that reads or writes patient data (dermplatform.audit.routes), allowed or denied, pages and API alike.

    Placed after authentication: DRF sets a token user on the underlying request too, so it is known here once
    the view has answered.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        bound = context.from_request(request)
        token = context.bind(bound)
        try:
            # Rows of the value history (dermplatform.audit.history) written while serving carry the user and id.
            with history.request_context(request, bound.request_id):
                response = self.get_response(request)
            self._record_access(request, response, bound)
        finally:
            context.unbind(token)
        response["X-Request-ID"] = bound.request_id
        return response

    def _record_access(self, request, response, bound) -> None:
        match = request.resolver_match
        audited = audited_action(match.view_name if match else None, request.method)
        if audited is None:
            return
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            # Anonymous requests reach no patient data (401 or the sign-in page) and are attributable to no one:
            # recording each would let anyone grow the trail without limit. The server's access log has them.
            return
        action, object_type = audited
        status = response.status_code
        if status in DENIED_STATUSES:
            outcome = Outcome.DENIED
        elif is_gate_redirect(response):
            outcome = Outcome.REDIRECTED  # an unverified admin sent to the code page: never an allowed read
        elif is_read(match.view_name if match else None, request.method):
            outcome = Outcome.ALLOWED if status < 400 else Outcome.REFUSED
        elif AuditEvent.objects.filter(request_id=bound.request_id).exists():
            return  # the service recorded the write itself, with its object and changed fields
        else:
            outcome = Outcome.REFUSED  # a write that wrote nothing (invalid input)
        object_id = match.kwargs.get("public_id") or match.kwargs.get("patient_id")
        event_record(
            action=action,
            actor=user,
            object_type=object_type if object_id else "",
            object_id=object_id,
            outcome=outcome,
            status_code=status,
        )
