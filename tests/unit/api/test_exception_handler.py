"""The one exception handler (dermplatform.api.exception_handler): each kind of refusal and its answer, through
small views built on the platform's base views. What the endpoints answer is tested with each endpoint; this is the
mapping itself."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.test import APIRequestFactory

from dermplatform.api.errors import StateConflict
from dermplatform.api.views import ClinicalApi, ImageBytesApi
from dermplatform.slots import Busy

pytestmark = pytest.mark.django_db


class Input(serializers.Serializer):
    count = serializers.IntegerField()


def _answer(error, view_base=ClinicalApi, accept="application/json", **attributes):
    def get(self, request):
        if isinstance(error, type) and issubclass(error, serializers.Serializer):
            error(data={}).is_valid(raise_exception=True)
        raise error

    view = type("RaisingApi", (view_base,), {"permission_classes": [AllowAny], "authentication_classes": [],
                                              "get": get, **attributes})
    response = view.as_view()(APIRequestFactory().get("/api/anything/", HTTP_ACCEPT=accept))
    return response.render()


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (Input, 400, {"count": ["This field is required."]}),
        (DjangoValidationError("Not in the future."), 422, {"errors": ["Not in the future."]}),
        (DjangoValidationError({"date_of_birth": "Not in the future."}), 422, {"date_of_birth": ["Not in the future."]}),
        (DjangoValidationError({"__all__": "Both or neither."}), 422, {"errors": ["Both or neither."]}),
        (StateConflict("Already archived."), 409, {"errors": ["Already archived."]}),
        (PermissionDenied("This record belongs to another clinic."), 403,
         {"detail": "This record belongs to another clinic."}),
        (Http404(), 404, {"detail": "Not found."}),
        (exceptions.NotFound("This model gives no heat-map."), 404, {"detail": "This model gives no heat-map."}),
    ],
)
def test_each_refusal_has_its_status_and_json_body(error, status, body):
    response = _answer(error)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.data == body
    assert "Retry-After" not in response


@pytest.mark.parametrize(("status", "retry_after"), [(503, 60), (429, 2)])
def test_busy_answers_its_own_status_with_retry_after(status, retry_after):
    response = _answer(Busy("some-slot", messages=["Busy; try again."], retry_after=retry_after, status_code=status))
    assert response.status_code == status
    assert response["Retry-After"] == str(retry_after)
    assert response.data == {"errors": ["Busy; try again."]}


def test_a_view_may_answer_its_own_domain_refusal():
    class Held(StateConflict):
        pass

    response = _answer(Held("A colleague holds the case."), api_exception=lambda self, exc: (
        exceptions.APIException({"errors": exc.messages, "claim": "theirs"}) if isinstance(exc, Held) else None))
    assert response.data == {"errors": ["A colleague holds the case."], "claim": "theirs"}
    # Anything else goes the usual way.
    assert _answer(StateConflict("Already archived."), api_exception=lambda self, exc: None).status_code == 409


def test_errors_of_a_view_answering_files_are_json_even_when_the_client_asked_for_the_file():
    response = _answer(Http404(), view_base=ImageBytesApi, accept="image/*")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.data == {"detail": "Not found."}
