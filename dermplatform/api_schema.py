"""OpenAPI post-processing: the error answers every operation can give, documented once for all.

Views document their successes and their own special answers (409 for a claim held by a colleague, ...). What
the framework answers for any of them is added here, unless the view said otherwise: 401 without credentials,
403 for a role the operation is not for, 404 for an id that is not the user's clinic's (or no such page of a
list), 400 for input the schema allows but the service refuses (a future birth date, a duplicate image).
tests/fuzz/test_api_schema_fuzz.py holds every answer to the schema.
"""

ERROR_SCHEMA = {
    "type": "object",
    "description": 'Why the request was refused: {"detail": "..."} or, for invalid input, field names (or '
    '"errors") with their messages.',
    "additionalProperties": True,
}
COMMON_ERRORS = {
    "401": "Not signed in, or the token is unknown, expired or revoked.",
    "403": "The signed-in user's role does not give access to this operation.",
}
WRITE_METHODS = {"post", "put", "patch", "delete"}


def _error(description: str, media_types) -> dict:
    schema = {"schema": {"$ref": "#/components/schemas/Error"}}
    return {"description": description, "content": {media_type: schema for media_type in media_types}}


def _json_media_types(responses: dict) -> list[str]:
    """application/json, and the operation's own JSON flavours (FHIR's application/fhir+json renders errors too)."""
    own = {t for r in responses.values() for t in r.get("content", {}) if t.endswith("+json")}
    return ["application/json", *sorted(own)]


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in WRITE_METHODS | {"get"}:
                continue
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", [])
            errors = dict(COMMON_ERRORS)
            if any(p.get("in") == "path" for p in parameters) or any(p.get("name") == "page" for p in parameters):
                errors["404"] = "No such record for this user (another clinic's records are not found), or no such page."
            if method in WRITE_METHODS or any(p.get("in") == "query" for p in parameters):
                errors["400"] = "Invalid input: each field (or \"errors\") with its messages."
            media_types = _json_media_types(responses)
            for status, description in errors.items():
                responses.setdefault(status, _error(description, media_types))
    return result
