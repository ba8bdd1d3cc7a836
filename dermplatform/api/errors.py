"""The refusals the API answers, and how a service's Django ValidationError becomes one of them.

Input the schema refuses is a 400 (DRF's own ValidationError). What services refuse answers with the same shapes
(field errors as {"field": [...]}, the rest as {"errors": [...]}): 409 for a record's state (StateConflict: archived,
already done, a number in use), 422 for schema-valid input a rule refuses (a birth date in the future, bytes that
are no image, no such patient of the clinic for the id in the body). The server being busy is dermplatform.slots.Busy.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status

ERRORS_KEY = "errors"


class StateConflict(DjangoValidationError):
    """Refused because of a record's state, not the request: an archived record, a step already taken, a number
    already in use. Pages show it like any ValidationError; the API answers it 409."""


class Unprocessable(exceptions.ValidationError):
    """Input the schema allows, refused by a rule the schema cannot express."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


class Conflict(exceptions.ValidationError):
    """Refused because of the record's current state, whatever the input."""

    status_code = status.HTTP_409_CONFLICT


def drf_validation_error(exc: DjangoValidationError) -> exceptions.APIException:
    """A service's refusal as the API answers it: 409 for a StateConflict, 422 for any other."""
    error = Conflict if isinstance(exc, StateConflict) else Unprocessable
    if hasattr(exc, "error_dict"):
        return error(
            {ERRORS_KEY if field == NON_FIELD_ERRORS else field: messages for field, messages in exc.message_dict.items()}
        )
    return error({ERRORS_KEY: exc.messages})
