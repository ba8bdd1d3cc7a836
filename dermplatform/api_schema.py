"""OpenAPI post-processing: the error answers every operation can give, documented once for all, and request
bodies described as the serializers read them.

Views document their successes and their own special answers (409 with the claim of a colleague, ...). What
the framework answers for any of them is added here, unless the view said otherwise: 401 without credentials,
403 for a role the operation is not for, 404 for an id that is not the user's clinic's (or no such page of a
list), 400 for input the schema refuses, 409 for a record whose state refuses the write (archived, already
done), 422 for input the schema allows but a rule refuses (a future birth date, bytes that are no image).
tests/fuzz/test_api_schema_fuzz.py holds every answer to the schema, and every schema-valid request to an answer
other than 400.
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
WRITE_ERRORS = {
    "409": "The record's state refuses this change (archived, already done, a number already in use); "
    '"errors" says which.',
    "422": "Input the schema allows but a rule refuses (a date in the future, a file that is no JPEG or PNG, "
    "an id in the body that names no record of your clinic): each field (or \"errors\") with its messages.",
}
WRITE_METHODS = {"post", "put", "patch", "delete"}
# Sign-in and token revocation refuse only what their schema refuses (and wrong credentials, 400; lockout, 429).
SIGN_IN_PATHS = "/api/token/"
# DRF trims text before its blank check and refuses NUL characters: required text holds a non-space character.
NO_NUL = "^[^\\u0000]*$"
NOT_BLANK = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"


def _error(description: str, media_types) -> dict:
    schema = {"schema": {"$ref": "#/components/schemas/Error"}}
    return {"description": description, "content": {media_type: schema for media_type in media_types}}


def _json_media_types(responses: dict) -> list[str]:
    """application/json, and the operation's own JSON flavours (FHIR's application/fhir+json renders errors too)."""
    own = {t for r in responses.values() for t in r.get("content", {}) if t.endswith("+json")}
    return ["application/json", *sorted(own)]


def _request_components(result) -> set[str]:
    refs = set()
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for content in operation.get("requestBody", {}).get("content", {}).values():
                ref = content.get("schema", {}).get("$ref", "")
                refs.add(ref.rsplit("/", 1)[-1])
    return refs - {""}


def describe_request_bodies(result) -> None:
    """Request bodies as the serializers read them, in each of their encodings (JSON, form, multipart):
    - free text: no NUL anywhere, and not only white space where it may not be blank (DRF trims, then checks);
    - an optional field's null means the same as leaving it out, which a form cannot say otherwise: not shown;
    - other fields are ignored, so the body declares none (a form part with control characters in its name
      would otherwise stop the multipart parser before the fields that follow)."""
    schemas = result.get("components", {}).get("schemas", {})
    for name in _request_components(result):
        component = schemas.get(name, {})
        component.setdefault("additionalProperties", False)
        for field, prop in component.get("properties", {}).items():
            if field not in component.get("required", []):
                prop.pop("nullable", None)
            if prop.get("type") != "string" or "format" in prop or "enum" in prop or "pattern" in prop:
                continue
            prop["pattern"] = NOT_BLANK if prop.get("minLength", 0) >= 1 else NO_NUL


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    describe_request_bodies(result)
    for path, operations in result.get("paths", {}).items():
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
            if method in WRITE_METHODS and not path.startswith(SIGN_IN_PATHS):
                errors.update(WRITE_ERRORS)
            media_types = _json_media_types(responses)
            for status, description in errors.items():
                responses.setdefault(status, _error(description, media_types))
            for status, response in responses.items():
                if status.startswith("4") and "content" not in response:  # a view's own answer, described in words
                    response["content"] = _error(response.get("description", ""), media_types)["content"]
    return result
