"""One record of facts per case (AI opinion, current decision, current histology), fetched in bulk with a fixed
number of queries per batch of cases: the CSV export and the real-world performance page read these."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, Prefetch

from diagnosis.models import Histology, Prediction, Review
from diagnosis.opinion import ai_summary_of
from patients.models import LesionImage

BATCH = 500


def _latest_per_image(predictions) -> list[Prediction]:
    latest = {}
    for prediction in predictions:  # oldest first: the last one of each image wins
        latest[prediction.image_id] = prediction
    return list(latest.values())


@dataclass
class CaseFacts:
    case: object
    review: Review | None
    histology: Histology | None
    image_count: int
    predictions: list[Prediction] = field(default_factory=list)  # every prediction of the case, oldest first

    @property
    def summary(self) -> dict | None:
        """The AI's opinion as the case page shows it (latest prediction of each image)."""
        return ai_summary_of(_latest_per_image(self.predictions))

    def summary_by_version(self) -> dict:
        """{model version: the AI's opinion from that version's predictions alone}."""
        by_version = defaultdict(list)
        for prediction in self.predictions:
            by_version[prediction.model_version].append(prediction)
        return {version: ai_summary_of(_latest_per_image(found)) for version, found in by_version.items()}


def case_facts(cases):
    """Yield CaseFacts for a queryset of cases (already scoped by visible_to), oldest first, BATCH at a time."""
    cases = cases.select_related("patient__clinic", "lesion").order_by("created_at", "pk")
    pks = list(cases.values_list("pk", flat=True))
    for start in range(0, len(pks), BATCH):
        batch = list(
            cases.filter(pk__in=pks[start:start + BATCH]).prefetch_related(
                Prefetch("reviews", Review.objects.filter(superseded_by__isnull=True).select_related("reviewer"),
                         to_attr="current_reviews"),
                Prefetch("histologies", Histology.objects.filter(superseded_by__isnull=True), to_attr="current_histologies"),
            )
        )
        predictions = defaultdict(list)
        found = (Prediction.objects.filter(image__case__in=batch).select_related("model_version", "clinic_thresholds")
                 .annotate(case_pk=F("image__case_id")).order_by("created_at", "pk"))
        for prediction in found:
            predictions[prediction.case_pk].append(prediction)
        images = dict(
            LesionImage.objects.filter(case__in=batch).values("case_id").annotate(n=Count("pk")).values_list("case_id", "n")
        )
        for case in batch:
            yield CaseFacts(
                case=case,
                review=(case.current_reviews or [None])[0],
                histology=(case.current_histologies or [None])[0],
                image_count=images.get(case.pk, 0),
                predictions=predictions[case.pk],
            )
