"""The admin's model version page (issue 17, section 5): the card as readable figures for every card shape, its raw
JSON kept one click away, and switching off the only active version warned first and refused while images wait for
the AI (nothing changed, audited)."""

import json
from pathlib import Path

import pytest
from django.urls import reverse

from dermplatform.audit.models import Action, AuditEvent, Outcome
from diagnosis.models import ModelVersion
from patients.models import CaseStatus
from tests.factories import CaseFactory, LesionImageFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db

DEFAULT_CARD = Path(__file__).resolve().parents[3] / "ml" / "default_model" / "model.json"


def _page(client, version) -> str:
    response = client.get(reverse("admin:diagnosis_modelversion_change", args=[version.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _text(html: str) -> str:
    import re

    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_default_card_reads_as_figures(admin_client_):
    card = json.loads(DEFAULT_CARD.read_text())
    version = ModelVersionFactory(card=card, classes=card["classes"])
    text = _text(_page(admin_client_, version))
    pooled = card["validation_metrics"]["full"]["pooled"]
    # Per-class recall (as a percentage) and AUC, from the pooled validation figures with metadata.
    assert f"Melanoma (mel) {pooled['per_class_recall']['mel'] * 100:.1f}% {pooled['mel_auc']:.3f} {pooled['support']['mel']}" in text
    assert f"Melanocytic nevus (nv) {pooled['per_class_recall']['nv'] * 100:.1f}%" in text
    assert f"macro AUC {pooled['macro_auc']:.3f}" in text
    # The flag thresholds with their validation sensitivity and specificity.
    mel = card["operating_points"]["mel"]
    assert (f"Melanoma flag {mel['threshold'] * 100:.1f}% 90.0% sensitivity "
            f"{mel['validation']['sensitivity'] * 100:.1f}% of {mel['validation']['n_positive']} "
            f"{mel['validation']['specificity'] * 100:.1f}%") in text
    assert f"Malignancy flag {card['operating_points']['malignant']['threshold'] * 100:.1f}%" in text
    # Calibration and the training data per source.
    assert f"Temperature scaling, temperature {card['calibration']['temperature']:.3f}" in text
    train = card["sources"]["split"]["per_source"]["ham10000"]["train"]
    assert f"ham10000 {train['images']}" in text and "bcn_msk_84px" in text and "msk_256px" in text


def test_the_raw_json_is_kept_collapsed(admin_client_):
    version = ModelVersionFactory(card={"name": "tiny", "calibration": {"method": "temperature", "temperature": 1.5}})
    page = _page(admin_client_, version)
    raw = page.index('data-testid="model-card-json"')
    assert page.rfind("<details", 0, raw) > page.rfind("</details>", 0, raw)  # inside a closed <details>
    assert "&quot;temperature&quot;: 1.5" in page
    assert page.index('data-testid="model-card-figures"') < raw  # the figures come first


@pytest.mark.parametrize("card", [
    {},  # minimal
    {"name": "v1", "validation_metrics": {"n": 12, "accuracy": 0.75, "per_class": {
        "mel": {"recall": 0.5, "auc": 0.91, "support": 4}, "nv": {"recall": 0.875, "auc": None, "support": 8}}},
     "training": {"data_dir": "ham10000", "n_images": {"train": 100, "val": 12, "test": 12}}},  # v1's shape
    {"validation_metrics": {"full": {"n": 40, "accuracy": 0.8, "macro_auc": 0.95}, "none": {"n": 40}},
     "operating_points": {"mel": {"threshold": 0.1}}},  # v3's shape, thresholds without validation figures
    {"validation_metrics": [1, 2], "operating_points": "none", "calibration": None, "sources": {"split": 3}},  # odd
])
def test_older_and_minimal_cards_never_break_the_page(admin_client_, card):
    version = ModelVersionFactory(card=card)
    text = _text(_page(admin_client_, version))
    if card.get("name") == "v1":
        assert "Melanoma (mel) 50.0% 0.910 4" in text and "Melanocytic nevus (nv) 87.5% — 8" in text
        assert "ham10000 100 12 12" in text
    if not card or card.get("operating_points") == "none":
        assert "holds no validation figures, thresholds, calibration or training counts" in text


# --- switching off the only active version ------------------------------------------------------------


@pytest.fixture
def active(db):
    return ModelVersionFactory(is_active=True)


def _switch_off(client, version, **extra):
    return client.post(reverse("admin:diagnosis_modelversion_change", args=[version.pk]), {"notes": "", **extra})


def _waiting_image(clinic):
    case = CaseFactory(patient__clinic=clinic, status=CaseStatus.AWAITING_AI)
    return LesionImageFactory(case=case)


def test_refused_while_images_wait_for_the_ai(admin_client_, admin_user, active, clinic):
    _waiting_image(clinic)
    assert "1 image is waiting for the AI" in _text(_page(admin_client_, active))  # said before anyone tries
    response = _switch_off(admin_client_, active, confirm_switch_off="on")
    assert response.status_code == 200  # the form again, with the reason
    assert "Not changed: 1 image is waiting for the AI, and this is the only active model version" in _text(
        response.content.decode())
    active.refresh_from_db()
    assert active.is_active
    event = AuditEvent.objects.get(action=Action.MODEL_DEACTIVATE)
    assert (event.actor, event.outcome, event.object_type) == (admin_user, Outcome.REFUSED, "modelversion")


def test_warned_first_then_switched_off_once_confirmed(admin_client_, admin_user, active, clinic):
    assert "This is the only active model version" in _text(_page(admin_client_, active))
    response = _switch_off(admin_client_, active)
    assert response.status_code == 200
    assert "Tick the confirmation below and save again" in _text(response.content.decode())
    active.refresh_from_db()
    assert active.is_active and not AuditEvent.objects.filter(action=Action.MODEL_DEACTIVATE).exists()

    response = _switch_off(admin_client_, active, confirm_switch_off="on")
    assert response.status_code == 302
    active.refresh_from_db()
    assert not active.is_active
    event = AuditEvent.objects.get(action=Action.MODEL_DEACTIVATE)
    assert (event.actor, event.outcome, event.changed_fields) == (admin_user, Outcome.ALLOWED, ["is_active"])


def test_images_the_ai_gave_up_on_or_already_read_do_not_hold_it(admin_client_, active, clinic):
    from django.utils import timezone

    from diagnosis.models import ClassificationJob

    image = _waiting_image(clinic)
    ClassificationJob.objects.create(image=image, failed_at=timezone.now(), failure_reason="gave up")
    archived = _waiting_image(clinic).case
    archived.archived_at = timezone.now()
    archived.save(update_fields=["archived_at"])
    assert _switch_off(admin_client_, active, confirm_switch_off="on").status_code == 302
    active.refresh_from_db()
    assert not active.is_active


def test_making_a_version_active_is_audited(admin_client_, admin_user, active):
    other = ModelVersionFactory()
    response = admin_client_.post(reverse("admin:diagnosis_modelversion_changelist"),
                                  {"action": "make_active", "_selected_action": [other.pk]})
    assert response.status_code == 302
    assert list(ModelVersion.objects.filter(is_active=True)) == [other]
    event = AuditEvent.objects.get(action=Action.MODEL_ACTIVATE)
    assert (event.actor, event.outcome) == (admin_user, Outcome.ALLOWED)


def test_probabilities_are_percentages(admin_client_, world):
    prediction = world["prediction"]
    text = _text(admin_client_.get(reverse("admin:diagnosis_prediction_change", args=[prediction.pk])).content.decode())
    assert "P(melanoma): 60.0 %" in text and "Melanoma flag threshold: 30.0 %" in text
    assert "mel 60.0 %, " in text  # every class, most likely first
    listing = _text(admin_client_.get(reverse("admin:diagnosis_prediction_changelist")).content.decode())
    assert "60.0 %" in listing


def test_an_inactive_version_asks_no_confirmation(admin_client_, active):
    other = ModelVersionFactory()
    page = _page(admin_client_, other)
    assert "confirm_switch_off" not in page and "This is the only active model version" not in page
    assert "confirm_switch_off" in _page(admin_client_, active)


def test_clinic_thresholds_are_percentages(admin_client_, admin_user, clinic, active):
    from diagnosis.models import ClinicThresholds

    row = ClinicThresholds.objects.create(clinic=clinic, model_version=active, kind=ClinicThresholds.Kind.ADOPTED,
                                          mel_threshold=0.125, malignant_threshold=None, decided_by=admin_user)
    text = _text(admin_client_.get(reverse("admin:diagnosis_clinicthresholds_change", args=[row.pk])).content.decode())
    assert "Melanoma flag threshold: 12.5 %" in text and "Malignancy flag threshold: —" in text
    assert "0.125" not in text
    assert "12.5 %" in _text(admin_client_.get(reverse("admin:diagnosis_clinicthresholds_changelist")).content.decode())
