"""Flags at the model card's operating points, the image guard's verdict and the case's metadata, as the
inference service stores them; the case-level opinion built from them; reviews of a case the AI could not judge.

Models are copies of the tiny trained model with operating points in their card (tests/conftest.py
model_variant): threshold 0.0 flags every image, 1.01 none.
"""

from datetime import date, datetime
from datetime import timezone as dt_timezone

import pytest
from django.core.exceptions import ValidationError

from diagnosis import opinion
from diagnosis.inference import model_registry
from diagnosis.inference import services as inference_services
from diagnosis.models import Prediction
from diagnosis.models.prediction import Flag
from diagnosis.review import services as review_services
from patients.models import CaseStatus
from tests.factories import CaseFactory, PatientFactory

pytestmark = pytest.mark.django_db


def classify_all(case) -> list[Prediction]:
    predictions = [inference_services.image_classify(image_id=image.pk) for image in case.images.all()]
    case.refresh_from_db()
    return predictions


def test_flags_and_thresholds_are_stored(uploaded_case, model_variant):
    model_variant(mel=0.0, malignant=1.01)
    for prediction in classify_all(uploaded_case):
        prediction.refresh_from_db()
        assert prediction.mel_flag is True and prediction.mel_threshold == 0.0
        assert prediction.malignant_flag is False and prediction.malignant_threshold == 1.01
        assert prediction.mel_score == pytest.approx(prediction.probabilities["mel"])
        assert prediction.assessable and prediction.not_assessable_reason == ""
        assert prediction.flag == Flag.MEL
        assert prediction.flags["malignant"] == {
            "flagged": False, "score": prediction.malignancy_risk, "threshold": 1.01,
        }
    assert uploaded_case.status == CaseStatus.AWAITING_REVIEW


def test_malignant_flag_alone(uploaded_case, model_variant):
    model_variant(mel=1.01, malignant=0.0)
    prediction = classify_all(uploaded_case)[0]
    assert (prediction.mel_flag, prediction.malignant_flag, prediction.flag) == (False, True, Flag.MALIGNANT)


def test_model_without_operating_points_stores_null_flags(uploaded_case, active_model):
    prediction = classify_all(uploaded_case)[0]
    prediction.refresh_from_db()
    assert prediction.mel_flag is None and prediction.malignant_flag is None
    assert prediction.mel_threshold is None and prediction.malignant_threshold is None
    assert prediction.mel_score == pytest.approx(prediction.probabilities["mel"])
    assert prediction.flag == Flag.UNAVAILABLE
    assert prediction.guard == {} and prediction.metadata_used == {}  # the tiny model has neither


def test_not_assessable_image_gets_a_prediction_with_its_reason(uploaded_case, model_variant):
    model_variant(mel=0.0, malignant=0.0, refuse_all=True)
    for prediction in classify_all(uploaded_case):
        prediction.refresh_from_db()
        assert prediction.assessable is False
        assert "blurred" in prediction.not_assessable_reason
        assert "focus" in prediction.guard
        assert prediction.flag == Flag.NOT_ASSESSABLE  # its scores flag nothing
    # The dermatologist still gets the case.
    assert uploaded_case.status == CaseStatus.AWAITING_REVIEW


def test_flagged_predictions_stay_immutable(uploaded_case, model_variant):
    model_variant(mel=0.0, malignant=0.0)
    prediction = classify_all(uploaded_case)[0]
    prediction.mel_flag = False
    with pytest.raises(ValidationError):
        prediction.save()


# --- metadata ----------------------------------------------------------------


def test_case_metadata_is_age_at_the_visit_sex_and_site(staff):
    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff, date_of_birth=date(1972, 6, 15), sex="male"),
                       created_by=staff, body_site="back")
    case.created_at = datetime(2026, 6, 15, 12, tzinfo=dt_timezone.utc)  # the visit: the 54th birthday
    assert opinion.case_metadata(case) == {"age": 54.0, "sex": "male", "localization": "back"}
    case.patient.date_of_birth = date(1972, 6, 16)  # the birthday is tomorrow
    assert opinion.case_metadata(case)["age"] == 53.0


@pytest.mark.parametrize("sex", ["other", "unknown"])
def test_unknown_values_are_none(staff, sex):
    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff, sex=sex), created_by=staff,
                       body_site="unknown")
    metadata = opinion.case_metadata(case)
    assert metadata["sex"] is None and metadata["localization"] is None
    assert isinstance(metadata["age"], float)


def test_classify_is_given_the_case_metadata(uploaded_case, active_model, monkeypatch):
    predictor = model_registry.predictor_for(active_model)
    seen = []
    real = predictor.classify

    def spy(images, metadata=None, **kwargs):
        seen.append(metadata)
        return real(images, metadata=metadata, **kwargs)

    monkeypatch.setattr(predictor, "classify", spy)
    inference_services.image_classify(image_id=uploaded_case.images.first().pk)
    assert seen == [[opinion.case_metadata(uploaded_case)]]
    assert seen[0][0]["localization"] == "back" and seen[0][0]["sex"] == "female"


# --- the case's opinion ------------------------------------------------------


def test_case_summary_leads_with_the_flag(uploaded_case, model_variant):
    model_variant(mel=0.0, malignant=1.01, target_sensitivity=0.9)
    classify_all(uploaded_case)
    summary = opinion.case_ai_summary(uploaded_case)
    assert summary["flag"] == Flag.MEL
    assert summary["flag_text"] == "Suspicious for melanoma: consider excision or biopsy"
    assert summary["flags"] == {"mel": True, "malignant": False}
    assert summary["operating_point"] == "threshold 0 on P(melanoma), set for 90 % melanoma sensitivity on validation data"
    assert summary["top_class"] and summary["assessable"]


def test_case_not_flagged_says_it_is_no_rule_out(uploaded_case, model_variant):
    model_variant(mel=1.01, malignant=1.01)
    classify_all(uploaded_case)
    summary = opinion.case_ai_summary(uploaded_case)
    assert summary["flag"] == Flag.NONE
    assert summary["flag_text"] == "Not flagged at the AI's operating point (second opinion, not a rule-out)"
    assert "P(melanoma)" in summary["operating_point"] and "P(akiec + bcc + melanoma)" in summary["operating_point"]


def test_case_with_no_assessable_image_has_no_ai_diagnosis(uploaded_case, model_variant):
    model_variant(mel=0.0, malignant=0.0, refuse_all=True)
    classify_all(uploaded_case)
    summary = opinion.case_ai_summary(uploaded_case)
    assert summary["flag"] == Flag.NOT_ASSESSABLE and not summary["assessable"]
    assert summary["top_class"] is None and summary["probabilities"] == []
    assert summary["flags"] == {"mel": None, "malignant": None}
    assert len(summary["not_assessable"]) == 2


def test_not_assessable_images_do_not_count(uploaded_case, model_variant):
    first, second = uploaded_case.images.all()
    model_variant(mel=0.0, malignant=0.0, refuse_all=True)
    refused = inference_services.image_classify(image_id=first.pk)
    # Same model version, guard off, never flagged: only the second image is judged.
    model_variant(mel=1.01, malignant=1.01)
    judged = inference_services.image_classify(image_id=second.pk)
    summary = opinion.case_ai_summary(uploaded_case)
    assert summary["flag"] == Flag.NONE  # the refused image's "always flagged" scores are ignored
    assert summary["not_assessable"] == [refused]
    assert summary["probabilities"] == sorted(judged.probabilities.items(), key=lambda item: item[1], reverse=True)


# --- reviews -----------------------------------------------------------------


def test_confirm_is_refused_without_an_ai_diagnosis_and_override_works(uploaded_case, model_variant, dermatologist):
    model_variant(mel=0.0, malignant=0.0, refuse_all=True)
    classify_all(uploaded_case)
    with pytest.raises(ValidationError, match="no AI diagnosis to confirm"):
        review_services.review_submit(case=uploaded_case, reviewer=dermatologist, decision="confirm", plan="excision")
    assert not uploaded_case.reviews.exists()
    review = review_services.review_submit(case=uploaded_case, reviewer=dermatologist, decision="override", plan="excision", diagnosis="mel")
    assert review.diagnosis == "mel" and review.ai_diagnosis == ""
    uploaded_case.refresh_from_db()
    assert uploaded_case.status == CaseStatus.REVIEWED


def test_admin_lists_and_filters_predictions_by_flag(admin_client_, uploaded_case, model_variant):
    from django.urls import reverse

    model_variant(mel=0.0, malignant=1.01)
    classify_all(uploaded_case)
    url = reverse("admin:diagnosis_prediction_changelist")
    assert admin_client_.get(url).status_code == 200
    response = admin_client_.get(url, {"mel_flag__exact": "1"})
    assert response.status_code == 200 and response.context["cl"].result_count == 2
