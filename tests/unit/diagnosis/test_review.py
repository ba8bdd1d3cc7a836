import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from diagnosis import opinion
from diagnosis.inference import services as inference_services
from diagnosis.models import Review
from diagnosis.review import services as review_services
from patients.models import CaseStatus
from tests.factories import CaseFactory, DermatologistFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def classified_case(uploaded_case, active_model):
    for image in uploaded_case.images.all():
        inference_services.image_classify(image_id=image.pk)
    uploaded_case.refresh_from_db()
    assert uploaded_case.status == CaseStatus.AWAITING_REVIEW
    return uploaded_case


def test_confirm_takes_the_ai_diagnosis(classified_case, dermatologist):
    summary = opinion.case_ai_summary(classified_case)
    review = review_services.review_submit(case=classified_case, reviewer=dermatologist, decision="confirm", plan="excision")
    assert review.diagnosis == summary["top_class"] == review.ai_diagnosis
    assert review.reviewer == dermatologist and review.created_at is not None
    classified_case.refresh_from_db()
    assert classified_case.status == CaseStatus.REVIEWED


def test_override_needs_another_diagnosis(classified_case, dermatologist):
    ai = opinion.case_ai_summary(classified_case)["top_class"]
    with pytest.raises(ValidationError):
        review_services.review_submit(case=classified_case, reviewer=dermatologist, decision="override", plan="excision")
    with pytest.raises(ValidationError):
        review_services.review_submit(case=classified_case, reviewer=dermatologist, decision="override", plan="excision", diagnosis=ai)
    other = "mel" if ai != "mel" else "bcc"
    review = review_services.review_submit(case=classified_case, reviewer=dermatologist, decision="override", plan="excision", diagnosis=other, notes="ABCD")
    assert review.diagnosis == other and review.ai_diagnosis == ai


def test_new_review_supersedes_the_old(classified_case, dermatologist, clinic):
    first = review_services.review_submit(case=classified_case, reviewer=dermatologist, decision="confirm", plan="excision")
    colleague = DermatologistFactory(clinic=clinic)
    second = review_services.review_submit(case=classified_case, reviewer=colleague, decision="override", plan="excision", diagnosis="mel" if first.diagnosis != "mel" else "bcc")
    first.refresh_from_db()
    assert second.supersedes == first and first.superseded_by == second
    assert Review.objects.filter(case=classified_case).count() == 2  # history kept


@pytest.mark.parametrize("who", ["staff", "outsider_dermatologist", "admin_user"])
def test_only_the_clinics_dermatologists_review(classified_case, request, who):
    with pytest.raises(PermissionDenied):
        review_services.review_submit(case=classified_case, reviewer=request.getfixturevalue(who), decision="confirm", plan="excision")
    assert not Review.objects.exists()


def test_case_without_ai_result_cannot_be_reviewed(uploaded_case, dermatologist):
    with pytest.raises(ValidationError):
        review_services.review_submit(case=uploaded_case, reviewer=dermatologist, decision="confirm", plan="excision")


def test_queue_orders_by_risk_and_stays_in_clinic(dermatologist_client, classified_case, staff, active_model, other_clinic, outsider_staff):
    from diagnosis.models import Prediction
    from patients import services as patient_services
    from tests.images import jpeg_bytes, upload

    # A second case in the clinic and one in another clinic, both classified.
    def classified(patient, user, seed):
        case = CaseFactory(patient=patient, created_by=user)
        for image in patient_services.images_upload(case=case, files=[upload(jpeg_bytes(seed=seed))], uploaded_by=user):
            inference_services.image_classify(image_id=image.pk)
        return case

    second = classified(PatientFactory(clinic=staff.clinic, created_by=staff), staff, 7)
    foreign = classified(PatientFactory(clinic=other_clinic, created_by=outsider_staff), outsider_staff, 8)
    cases = list(dermatologist_client.get(reverse("diagnosis:queue")).context["page"].object_list)
    assert foreign not in cases
    assert set(cases) == {classified_case, second}
    risks = [max(Prediction.objects.filter(image__case=c).values_list("malignancy_risk", flat=True)) for c in cases]
    assert risks == sorted(risks, reverse=True)


def test_review_page_flow(dermatologist_client, classified_case):
    url = reverse("diagnosis:case_review", args=[classified_case.public_id])
    page = dermatologist_client.get(url)
    assert page.status_code == 200
    prediction = classified_case.images.first().predictions.get()
    heatmap_url = reverse("diagnosis:heatmap", args=[prediction.public_id])
    assert heatmap_url.encode() in page.content
    assert dermatologist_client.get(heatmap_url)["Content-Type"] == "image/png"
    response = dermatologist_client.post(url, {"plan": "excision", "decision": "confirm", "notes": "typical"})
    assert response.status_code == 302
    assert classified_case.reviews.get().notes == "typical"


@pytest.mark.parametrize(("who", "status"), [("staff_client", 403), ("outsider", 404)])
def test_review_page_is_for_the_clinics_dermatologists(client, request, classified_case, who, status, outsider_dermatologist):
    if who == "outsider":
        client.force_login(outsider_dermatologist)
    else:
        client = request.getfixturevalue(who)
    url = reverse("diagnosis:case_review", args=[classified_case.public_id])
    assert client.get(url).status_code == status
    assert client.post(url, {"plan": "excision", "decision": "confirm"}).status_code == status
    assert not Review.objects.exists()


def test_heatmap_of_another_clinic_is_not_found(client, classified_case, outsider_staff):
    prediction = classified_case.images.first().predictions.get()
    client.force_login(outsider_staff)
    assert client.get(reverse("diagnosis:heatmap", args=[prediction.public_id])).status_code == 404
