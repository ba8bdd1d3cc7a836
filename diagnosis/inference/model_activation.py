"""Which model version the AI uses: making one active, and switching off the active one.

At most one version is active (a database constraint), so the active version is always the only one: switching it
off leaves new uploads with no AI opinion. That is refused while images wait for the AI (their tasks would fail and
their cases stall), and otherwise needs the admin's explicit confirmation. Every change and refusal is audited.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from dermplatform.audit.models import Action, Outcome
from dermplatform.audit.services import event_record
from diagnosis.inference.ai_waiting import images_waiting
from diagnosis.models import ModelVersion

OBJECT_TYPE = "modelversion"


def images_waiting_for_ai() -> int:
    """Images the AI still owes a result (diagnosis.inference.ai_waiting: the sweep's and the pages' definition)."""
    return images_waiting().count()


def switch_off_refusal(waiting: int) -> str:
    return (
        f"Not changed: {waiting} image{'s' if waiting != 1 else ''} {'are' if waiting != 1 else 'is'} waiting for "
        "the AI, and this is the only active model version. Make another version active instead (action \"Make the "
        "selected version the active one\"), or switch it off once nothing waits."
    )


SWITCH_OFF_WARNING = (
    "This is the only active model version: switched off, new uploads get no AI opinion until a version is made "
    "active again. Tick the confirmation below and save again to switch it off."
)


def model_version_switch_off(*, version: ModelVersion, by, confirmed: bool) -> ModelVersion:
    """Switch off the active version. Raises ValidationError, changing nothing, while images wait for the AI
    (audited as refused) or without `confirmed` (the warning)."""
    refusal = ""
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().get(pk=version.pk)
        if not version.is_active:
            return version
        waiting = images_waiting_for_ai()
        if waiting:
            refusal = switch_off_refusal(waiting)
        elif not confirmed:
            raise ValidationError(SWITCH_OFF_WARNING, code="confirm")
        else:
            version.is_active = False
            version.save(update_fields=["is_active"])
            event_record(action=Action.MODEL_DEACTIVATE, actor=by, object_type=OBJECT_TYPE, changed_fields=["is_active"])
    if refusal:
        # Recorded outside the transaction above, which a raised error would roll back.
        event_record(action=Action.MODEL_DEACTIVATE, actor=by, object_type=OBJECT_TYPE, outcome=Outcome.REFUSED,
                     changed_fields=["is_active"])
        raise ValidationError(refusal, code="images_waiting")
    return version


def model_version_activate(*, version: ModelVersion, by) -> ModelVersion:
    """Make `version` the active one (the previous active version is switched off in the same transaction)."""
    with transaction.atomic():
        ModelVersion.objects.select_for_update().filter(is_active=True).exclude(pk=version.pk).update(is_active=False)
        ModelVersion.objects.filter(pk=version.pk).update(is_active=True)
        event_record(action=Action.MODEL_ACTIVATE, actor=by, object_type=OBJECT_TYPE, changed_fields=["is_active"])
    version.refresh_from_db()
    return version
