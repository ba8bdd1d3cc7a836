"""What the audit trail knows about the request being served: its id and client address.

Set by AuditMiddleware for the length of a request; services that record writes read it, so a write made
outside a request (a management command, a task) is recorded without them.
"""

import contextvars
import re
import uuid
from dataclasses import dataclass

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    client_address: str | None = None
    method: str = ""


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar("audit_request", default=RequestContext())


def current() -> RequestContext:
    return _current.get()


def from_request(request) -> RequestContext:
    # A well-formed id from the proxy ties our events to its logs; anything else is replaced.
    incoming = request.META.get("HTTP_X_REQUEST_ID", "")
    request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
    return RequestContext(
        request_id=request_id, client_address=request.META.get("REMOTE_ADDR") or None, method=request.method or ""
    )


def bind(context: RequestContext):
    return _current.set(context)


def unbind(token) -> None:
    _current.reset(token)
