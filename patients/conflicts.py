"""Refusals that come from a record's state, not from the request: an archived record, a step already taken, a
number already in use. Pages show them like any ValidationError; the API answers them 409 Conflict, apart from
input its schema refuses (400) and input the schema allows but a rule over its content refuses (422)."""

from django.core.exceptions import ValidationError


class StateConflict(ValidationError):
    pass
