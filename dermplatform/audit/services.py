"""Recording audit events. Only ids, types and field names go in: never patient-identifying text."""

from .context import current
from .models import Action, AuditEvent, Outcome


_OBJECT_TYPES = {"lesionimage": "image"}


def object_type_of(model) -> str:
    """The type an event names a record of `model` by ("image" for a LesionImage)."""
    model_name = model._meta.model_name
    return _OBJECT_TYPES.get(model_name, model_name)[:20]


def _object_ref(obj) -> tuple[str, object]:
    return object_type_of(type(obj)), obj.public_id


def event_record(
    *,
    action: str,
    actor=None,
    obj=None,
    object_type: str = "",
    object_id=None,
    outcome: str = Outcome.ALLOWED,
    changed_fields=(),
    username: str = "",
    status_code: int | None = None,
    clinic_id: int | None = None,
    search_digest: str = "",
    result_count: int | None = None,
) -> AuditEvent:
    """Append one event. The request's id and client address come from the request being served, if any."""
    if obj is not None:
        object_type, object_id = _object_ref(obj)
    if actor is not None and not actor.is_authenticated:
        actor = None
    context = current()
    return AuditEvent.objects.create(
        actor=actor,
        username=(actor.get_username() if actor is not None else username)[:150],
        clinic_id=getattr(actor, "clinic_id", None) or clinic_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        outcome=outcome,
        changed_fields=sorted(changed_fields),
        status_code=status_code,
        method=context.method,
        client_address=context.client_address,
        request_id=context.request_id,
        client_request_id=context.client_request_id,
        search_digest=search_digest,
        result_count=result_count,
    )


def changed_field_names(instance, changes: dict) -> list[str]:
    """The fields whose value `changes` would change on `instance` (compared before it is applied)."""
    return [field for field, value in changes.items() if getattr(instance, field) != value]


__all__ = ["Action", "Outcome", "changed_field_names", "event_record", "object_type_of"]
