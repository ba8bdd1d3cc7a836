"""The one exception handler of the API (REST_FRAMEWORK["EXCEPTION_HANDLER"]).

- the server busy (dermplatform.slots.Busy, from a full slot: large decodes, password hashing): the status the
  refusal carries (503 for an upload, 429 for sign-in) with Retry-After and {"errors": [...]};
- a view's own translation of a domain refusal into an API answer (`api_exception(exc)`, e.g. a colleague's claim
  answered 409 with the claim);
- a service's Django ValidationError: 409 for a StateConflict, 422 for the rest (dermplatform.api.errors);
- then DRF's handler: its own errors (400 for input the schema refuses, 401, 403, 404, 405, ...), Django's
  PermissionDenied (403) and Http404 (404).
Errors are JSON, also from views that answer with a file (BinaryRenderer).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from dermplatform.slots import Busy

from .errors import ERRORS_KEY, drf_validation_error
from .renderers import BinaryRenderer


def busy_response(busy: Busy) -> Response:
    set_rollback()
    return Response({ERRORS_KEY: busy.messages}, status=busy.status_code, headers=busy_headers(busy))


def busy_headers(busy: Busy) -> dict:
    return {"Retry-After": str(busy.retry_after)}


def exception_handler(exc, context):
    view, request = context.get("view"), context.get("request")
    if request is not None and _answers_files(view):
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    if isinstance(exc, Busy):
        return busy_response(exc)
    translate = getattr(view, "api_exception", None)
    if translate is not None:
        exc = translate(exc) or exc
    if isinstance(exc, DjangoValidationError):
        exc = drf_validation_error(exc)
    return drf_exception_handler(exc, context)


def _answers_files(view) -> bool:
    return any(issubclass(renderer, BinaryRenderer) for renderer in getattr(view, "renderer_classes", ()))
