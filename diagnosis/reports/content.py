"""What a case report says, gathered once for every format (PDF, FHIR): the case was scoped by the caller."""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from diagnosis.models import Histology, Prediction, Review
from diagnosis.opinion import case_ai_summary
from diagnosis.review import selectors
from patients.models import Case, LesionImage


def person_name(user) -> str:
    """How a report names a person (the reviewing dermatologist): the full name; the user name only for an account
    that has none on record, so marked."""
    return user.get_full_name() or f"{user.get_username()} (no full name on record)"


@dataclass
class ImageEntry:
    image: LesionImage
    prediction: Prediction | None  # the image's latest prediction, if the AI has given one


@dataclass
class CaseReport:
    case: Case
    generated_at: datetime
    generated_by: object
    headline: dict | None
    histology: Histology | None
    review: Review | None
    summary: dict | None  # diagnosis.opinion.case_ai_summary
    images: list[ImageEntry] = field(default_factory=list)

    @property
    def patient(self):
        return self.case.patient

    @property
    def clinic(self):
        return self.case.patient.clinic

    @property
    def model_versions(self):
        """The model versions behind the AI opinion (name and SHA-256), oldest registration first."""
        versions = {p.model_version_id: p.model_version for p in (self.summary or {}).get("predictions", [])}
        return sorted(versions.values(), key=lambda version: version.registered_at)


def case_report(*, case: Case, user) -> CaseReport:
    summary = case_ai_summary(case)
    latest = {p.image_id: p for p in (summary or {}).get("predictions", [])}
    images = [ImageEntry(image=image, prediction=latest.get(image.pk)) for image in case.images.order_by("uploaded_at", "pk")]
    return CaseReport(
        case=case,
        generated_at=timezone.localtime(),
        generated_by=user,
        headline=selectors.case_headline(case=case),
        histology=selectors.histology_current(case=case),
        review=selectors.review_current(case=case),
        summary=summary,
        images=images,
    )
