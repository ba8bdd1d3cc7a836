"""Switching the active model version off (diagnosis.inference.model_activation): refused while images wait for the AI,
confirmed otherwise; every change and refusal audited."""

import pytest
from django.core.exceptions import ValidationError

from dermplatform.audit.models import Action, AuditEvent, Outcome
from diagnosis.inference.model_activation import images_waiting_for_ai, model_version_activate, model_version_switch_off
from patients.models import CaseStatus
from tests.factories import CaseFactory, LesionImageFactory, ModelVersionFactory, PredictionFactory

pytestmark = pytest.mark.django_db


def test_refused_while_an_image_waits(admin_user):
    version = ModelVersionFactory(is_active=True)
    LesionImageFactory(case=CaseFactory(status=CaseStatus.AWAITING_AI))
    with pytest.raises(ValidationError, match="Not changed: 1 image is waiting for the AI"):
        model_version_switch_off(version=version, by=admin_user, confirmed=True)
    version.refresh_from_db()
    assert version.is_active
    assert AuditEvent.objects.get(action=Action.MODEL_DEACTIVATE).outcome == Outcome.REFUSED


def test_images_already_read_by_the_ai_do_not_wait(admin_user):
    version = ModelVersionFactory(is_active=True)
    image = LesionImageFactory(case=CaseFactory(status=CaseStatus.AWAITING_AI))
    PredictionFactory(image=image, model_version=version)
    assert images_waiting_for_ai() == 0


def test_warned_then_confirmed(admin_user):
    version = ModelVersionFactory(is_active=True)
    with pytest.raises(ValidationError, match="only active model version"):
        model_version_switch_off(version=version, by=admin_user, confirmed=False)
    assert not AuditEvent.objects.filter(action=Action.MODEL_DEACTIVATE).exists()
    model_version_switch_off(version=version, by=admin_user, confirmed=True)
    version.refresh_from_db()
    assert not version.is_active
    assert AuditEvent.objects.get(action=Action.MODEL_DEACTIVATE).outcome == Outcome.ALLOWED


def test_activating_replaces_the_active_version(admin_user):
    old, new = ModelVersionFactory(is_active=True), ModelVersionFactory()
    model_version_activate(version=new, by=admin_user)
    old.refresh_from_db()
    new.refresh_from_db()
    assert new.is_active and not old.is_active
    assert AuditEvent.objects.get(action=Action.MODEL_ACTIVATE).actor == admin_user
