"""One of everything a clinic works with, made as the platform makes it: a patient, a case, an image, the AI's
prediction with its heat-map, a classification job and a dermatologist's review.

The prediction is written directly (no model run): pages and admin need its row and heat-map, not TensorFlow.
"""

import io

from django.core.files.base import ContentFile
from PIL import Image

from diagnosis.models import ClassificationJob, ModelVersion, Prediction
from diagnosis.review import services as diagnosis_services
from patients import services
from patients.models import CaseStatus
from tests.factories import CaseFactory, PatientFactory
from tests.images import jpeg_bytes, upload

CLASSES = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]


def heatmap_png(size=(64, 48)) -> bytes:
    """A jet-like gradient, so that a browser shows a real picture."""
    picture = Image.new("RGB", size)
    picture.putdata([(int(255 * x / size[0]), 80, int(255 * (1 - x / size[0]))) for y in range(size[1]) for x in range(size[0])])
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def add_prediction(image, *, mel=0.6, heatmap: bytes | None = None) -> Prediction:
    version = ModelVersion.objects.filter(sha256="0" * 64).first() or ModelVersion.objects.create(
        name="test-model", sha256="0" * 64, directory="/nowhere", classes=CLASSES, card={}, is_active=True
    )
    rest = (1 - mel) / 6
    probabilities = {name: (mel if name == "mel" else rest) for name in CLASSES}
    prediction = Prediction(
        image=image, model_version=version, probabilities=probabilities, top_class="mel" if mel >= rest else "akiec",
        confidence=max(mel, rest), malignancy_risk=mel + 2 * rest, mel_score=mel, mel_flag=mel >= 0.3,
        mel_threshold=0.3, malignant_flag=mel + 2 * rest >= 0.4, malignant_threshold=0.4, duration_ms=12,
    )
    prediction.heatmap.save(f"heatmaps/{prediction.public_id.hex}.png", ContentFile(heatmap or heatmap_png()), save=False)
    prediction.save()
    return prediction


def clinical_world(*, staff, dermatologist, capture_on_commit) -> dict:
    """capture_on_commit: pytest-django's django_capture_on_commit_callbacks, so that no task is sent."""
    patient = PatientFactory(clinic=staff.clinic, created_by=staff)
    case = CaseFactory(patient=patient, created_by=staff)
    with capture_on_commit():
        (image,) = services.images_upload(case=case, files=[upload(jpeg_bytes(seed=7, size=(320, 240)))], uploaded_by=staff)
    prediction = add_prediction(image)
    ClassificationJob.objects.update_or_create(
        image=image, defaults={"times_queued": 1, "attempts": 1, "last_error": "broker restarted"}
    )
    case.status = CaseStatus.AWAITING_REVIEW
    case.save(update_fields=["status"])
    review = diagnosis_services.review_submit(case=case, reviewer=dermatologist, decision="confirm", plan="excision", notes="Typical.")
    return {"patient": patient, "lesion": case.lesion, "case": case, "image": image, "prediction": prediction, "review": review}


def worklist_world(*, staff, dermatologist) -> dict:
    """Three more cases that put items on the clinic's worklist: an excision planned 40 days ago with no histology
    (to book, histology outstanding), an image the AI could not assess (to retake), a follow-up due in a week."""
    from datetime import timedelta

    from django.utils import timezone

    from diagnosis.models import Review
    from tests.factories import LesionImageFactory, PredictionFactory

    def case_of(last_name):
        return CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff, last_name=last_name), created_by=staff)

    def review(case, *, plan, diagnosis, months=None, days_ago=0):
        made = Review.objects.create(case=case, reviewer=dermatologist, decision="override", diagnosis=diagnosis,
                                     plan=plan, follow_up_months=months)
        Review.objects.filter(pk=made.pk).update(created_at=timezone.now() - timedelta(days=days_ago))

    excision = case_of("Excisionplanned")
    review(excision, plan="excision", diagnosis="bcc", days_ago=40)
    retake = case_of("Blurredimage")
    version = ModelVersion.objects.order_by("pk").first() or ModelVersion.objects.create(
        name="test-model", sha256="f" * 64, directory="/nowhere", classes=CLASSES, card={}
    )
    PredictionFactory(image=LesionImageFactory(case=retake), model_version=version, assessable=False,
                      not_assessable_reason="too blurred to judge (focus 3.2, needs ≥ 6.5)")
    follow_up = case_of("Followupdue")
    review(follow_up, plan="follow_up", diagnosis="nv", months=1, days_ago=24)
    return {"excision": excision, "retake": retake, "follow_up": follow_up}
