"""Clinic thresholds: proposed from a finished run, adopted by an admin (second factor verified) only with at least
30 positives of the flag, versioned (a new row each time, the previous superseded), audited, restorable to the
model card's; the worker then flags with them and every page and report says which operating point applied."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from pypdf import PdfReader

from dermplatform.audit.models import Action, AuditEvent
from diagnosis import opinion
from diagnosis.inference import services as inference_services
from diagnosis.models import ClinicThresholds, Prediction
from diagnosis.validation import selectors, services

pytestmark = pytest.mark.django_db


def test_proposals_from_a_finished_run(finished_run):
    run = finished_run(melanomas=30, others=10)
    figures = selectors.run_figures(run)
    mel = figures.flags["mel"]
    # P(mel) of the 30 melanomas: 0.3, 0.32, ... 0.88; 90 % of 30 = 27 flagged: the 27th highest, 0.36.
    assert mel.proposed_threshold == pytest.approx(0.3 + 0.6 * 3 / 30)
    assert (mel.proposed_sensitivity.hits, mel.proposed_sensitivity.total) == (27, 30)
    assert (mel.proposed_specificity.hits, mel.proposed_specificity.total) == (10, 10)
    assert mel.can_adopt and figures.flags["malignant"].can_adopt


def test_fewer_than_30_positives_is_refused(finished_run, admin_user):
    run = finished_run(melanomas=29, others=10)
    with pytest.raises(ValidationError, match="holds 29 melanomas, fewer than the 30"):
        services.clinic_thresholds_adopt(run=run, user=admin_user, keys=["mel"])
    assert not ClinicThresholds.objects.exists()


def test_only_a_verified_admin_adopts(finished_run, dermatologist, admin_user):
    run = finished_run()
    with pytest.raises(PermissionDenied):
        services.clinic_thresholds_adopt(run=run, user=dermatologist, keys=["mel"])
    admin_user.is_verified = lambda: False  # signed in by password alone
    with pytest.raises(PermissionDenied):
        services.clinic_thresholds_adopt(run=run, user=admin_user, keys=["mel"])
    assert not ClinicThresholds.objects.exists()


def test_adoption_is_versioned_audited_and_restorable(finished_run, admin_user):
    run = finished_run()
    first = services.clinic_thresholds_adopt(run=run, user=admin_user, keys=["mel"])
    assert first.mel_threshold == pytest.approx(0.36) and first.malignant_threshold is None
    second = services.clinic_thresholds_adopt(run=run, user=admin_user, keys=["malignant"])
    assert second.supersedes == first and second.mel_threshold == first.mel_threshold  # the other flag kept
    assert second.malignant_threshold == pytest.approx(0.36)
    restored = services.clinic_thresholds_restore(clinic_id=run.clinic_id, version=run.model_version, user=admin_user)
    assert restored.supersedes == second and restored.kind == "restored"
    assert (restored.mel_threshold, restored.malignant_threshold) == (None, None)
    assert ClinicThresholds.objects.count() == 3
    assert ClinicThresholds.objects.in_force(clinic_id=run.clinic_id, model_version_id=run.model_version_id) == restored
    first.refresh_from_db()
    assert first.mel_threshold == pytest.approx(0.36)  # never edited
    with pytest.raises(ValueError):
        first.save()
    events = AuditEvent.objects.filter(action__in=[Action.THRESHOLDS_ADOPT, Action.THRESHOLDS_RESTORE]).order_by("pk")
    assert [(e.action, e.object_id, e.actor_id, e.clinic_id) for e in events] == [
        (Action.THRESHOLDS_ADOPT, first.public_id, admin_user.pk, run.clinic_id),
        (Action.THRESHOLDS_ADOPT, second.public_id, admin_user.pk, run.clinic_id),
        (Action.THRESHOLDS_RESTORE, restored.public_id, admin_user.pk, run.clinic_id),
    ]
    assert events[0].changed_fields == ["mel_threshold"]


def _classify(case):
    for image in case.images.all():
        inference_services.image_classify(image_id=image.pk)
    return list(Prediction.objects.filter(image__case=case))


def test_the_worker_flags_with_the_clinic_threshold_and_pages_say_so(uploaded_case, model_variant, staff,
                                                                     dermatologist, admin_user, client):
    version = model_variant(mel=1.01, malignant=1.01)  # the card flags nothing
    adopted = ClinicThresholds.objects.create(clinic=staff.clinic, model_version=version, kind="adopted",
                                              mel_threshold=0.0, decided_by=admin_user)
    for prediction in _classify(uploaded_case):
        assert prediction.mel_flag is True and prediction.mel_threshold == 0.0
        assert prediction.malignant_flag is False and prediction.malignant_threshold == 1.01  # card's, kept
        assert prediction.clinic_thresholds == adopted
        assert prediction.operating_point_source.startswith(adopted.label + " (melanoma flag)")
    summary = opinion.case_ai_summary(uploaded_case)
    label = adopted.label
    assert label.startswith("clinic threshold of 20")
    assert summary["operating_point"] == f"threshold 0 on P(melanoma), {label} (local validation)"
    client.force_login(staff)
    assert label in client.get(uploaded_case.get_absolute_url()).content.decode()
    pdf = client.get(f"/cases/{uploaded_case.public_id}/report.pdf")
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert label in text
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_login(staff)
    assert label in api.get(f"/api/cases/{uploaded_case.public_id}/fhir/").content.decode()
    client.force_login(dermatologist)
    assert label in client.get(f"/review/cases/{uploaded_case.public_id}/").content.decode()


def test_after_restore_the_worker_flags_with_the_model_card(uploaded_case, model_variant, staff, admin_user):
    version = model_variant(mel=1.01, malignant=1.01)
    first = ClinicThresholds.objects.create(clinic=staff.clinic, model_version=version, kind="adopted",
                                            mel_threshold=0.0, malignant_threshold=0.0, decided_by=admin_user)
    services.clinic_thresholds_restore(clinic_id=staff.clinic_id, version=version, user=admin_user)
    assert first.superseded_by
    for prediction in _classify(uploaded_case):
        assert prediction.mel_flag is False and prediction.clinic_thresholds is None
        assert prediction.operating_point_source == "model card"
    assert "set for 90 % melanoma sensitivity" in opinion.case_ai_summary(uploaded_case)["operating_point"]


def test_another_clinics_thresholds_do_not_apply(uploaded_case, model_variant, outsider_staff, admin_user):
    version = model_variant(mel=1.01, malignant=1.01)
    ClinicThresholds.objects.create(clinic=outsider_staff.clinic, model_version=version, kind="adopted",
                                    mel_threshold=0.0, decided_by=admin_user)
    for prediction in _classify(uploaded_case):
        assert prediction.mel_flag is False and prediction.operating_point_source == "model card"
