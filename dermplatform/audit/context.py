"""What the audit trail knows about the request being served: its id and client address.

Set by AuditMiddleware for the length of a request; services that record writes read it, so a write made
outside a request (a management command, a task) is recorded without them.
"""

import contextvars
import re
import uuid
from dataclasses import dataclass

from dermplatform.forwarded import client_address

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    # What the client (or a proxy) sent as X-Request-ID, kept to match its logs; never trusted as our id.
    client_request_id: str = ""
    client_address: str | None = None
    method: str = ""


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar("audit_request", default=RequestContext())


def current() -> RequestContext:
    return _current.get()


def from_request(request) -> RequestContext:
    # The id is always the server's: a client could otherwise reuse one to hide its request among another's
    # events (the middleware skips a write whose id already has an event). A well-formed id it sent is kept
    # beside ours, to match a proxy's logs; anything else is dropped.
    incoming = request.META.get("HTTP_X_REQUEST_ID", "")
    return RequestContext(
        request_id=uuid.uuid4().hex,
        client_request_id=incoming if _REQUEST_ID.match(incoming) else "",
        client_address=client_address(request),  # django-axes' rule too: X-Forwarded-For only from our proxy
        method=request.method or "",
    )


def bind(context: RequestContext):
    return _current.set(context)


def unbind(token) -> None:
    _current.reset(token)
