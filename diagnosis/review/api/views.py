"""Diagnosis REST API: thin views over the review's and inference's services and selectors.

Built on dermplatform.api (its authentication, permission, error shapes and
image-bytes handling): staff and dermatologists of a clinic
read AI opinions, heat-maps and review histories; staff retry a failed AI;
dermatologists review and see the queue. Admins 403, anonymous 401, another
clinic's objects 404. Input the schema refuses is a 400; services' refusals are
409 for a case's state, 422 for input a rule refuses ({"field": [...]} or
{"errors": [...]}, dermplatform.api.errors), their PermissionDenied 403.
"""

from django.utils.http import urlencode
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from dermplatform.api.views import ClinicalApi, ClinicalListApi, ImageBytesApi, validated_query
from diagnosis import opinion
from diagnosis.inference import ai_waiting, enqueue
from diagnosis.inference import selectors as inference_selectors
from diagnosis.models import ManagementPlan, Review, ReviewDecision
from diagnosis.models.histology import HISTOLOGY_DIAGNOSES
from diagnosis.models.review import DIAGNOSES
from diagnosis.review import case_warnings, claims, queue
from diagnosis.review import selectors as review_selectors
from diagnosis.review import services as review_services
from diagnosis.review.api.permissions import DermatologistApiPermission, HistologyApiPermission
from diagnosis.review.api.serializers import (
    CaseAiSerializer,
    HistologySerializer,
    QueueCountsSerializer,
    ReviewClaimSerializer,
    ReviewMadeSerializer,
    ReviewQueueEntrySerializer,
    ReviewSerializer,
)
from diagnosis.review.stale_review import ReviewStale
from patients import selectors as patient_selectors
from patients.models import BodySite, Case, CaseStatus
from patients.views.images import image_response

HISTOLOGY_CODES = [code for code, _ in HISTOLOGY_DIAGNOSES]


class ClaimConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "claimed"


class StaleReviewConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "stale"


class ClaimConflictMixin:
    """A colleague's claim on the case (claims.ClaimHeld) answers 409 with their claim; a review recorded after the
    client read the case (stale_review.ReviewStale) 409 with that review (asked by dermplatform.api's handler)."""

    def api_exception(self, exc):
        if isinstance(exc, claims.ClaimHeld):
            claim = ReviewClaimSerializer(exc.claim, context={"request": self.request}).data
            return ClaimConflict({"errors": exc.messages, "claim": claim})
        if isinstance(exc, ReviewStale):
            # The review recorded meanwhile, numbered as the history numbers it, and the version to send next.
            current = [r for r in _review_history(case=exc.case, user=self.request.user) if r.is_current]
            stale = StaleReviewConflict()
            stale.detail = {  # as is: APIException would turn the numbers into strings
                "errors": exc.messages, "review_version": exc.version,
                "review": ReviewSerializer(current[0]).data if current else None,
            }
            return stale
        return None


class CaseAiApi(ClinicalApi):
    @extend_schema(
        operation_id="cases_ai_retrieve",
        responses=CaseAiSerializer,
        description=(
            "The AI's second opinion on the case, led by its flag at the model's operating points: each class's "
            "probability averaged over the latest prediction of every assessable image, and each image's own "
            "prediction (flags, guard verdict, heat-map). While no image has a prediction "
            "yet, `summary` is null and `status` says why (draft, awaiting_ai or ai_failed)."
        ),
    )
    def get(self, request, public_id):
        case = patient_selectors.case_get(user=request.user, public_id=public_id)
        data = {
            "case": case.public_id,
            "status": case.status,
            "failed_images": inference_selectors.images_failed(case=case),
            "delayed_images": ai_waiting.case_images_delayed(case=case),
            "retry_allowed": ai_waiting.case_retry_allowed(case),
            "summary": opinion.case_ai_summary(case),
            "warnings": case_warnings.case_warnings(case=case),
        }
        return Response(CaseAiSerializer(data, context={"request": request}).data)


class PredictionHeatmapApi(ImageBytesApi):
    @extend_schema(
        operation_id="predictions_heatmap_retrieve",
        responses={(200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="Grad-CAM heat-map over the image.")},
        description="404 when the prediction is not visible, or its model gives no heat-map.",
    )
    def get(self, request, public_id):
        prediction = review_selectors.prediction_get(user=request.user, public_id=public_id)
        if not prediction.heatmap:
            raise exceptions.NotFound("This model gives no heat-map.")
        return image_response(prediction.heatmap, "image/png", f"{prediction.public_id}-heatmap.png")


QUEUE_PARAMETERS = [
    OpenApiParameter("flag", str, enum=list(queue.FLAG_FILTERS), description="Only this flag group (none: not flagged or no operating point)."),
    OpenApiParameter("risk", str, enum=list(queue.RISK_BANDS), description="Risk band: high ≥ 0.5, medium 0.2–0.5, low < 0.2."),
    OpenApiParameter("body_site", str, enum=BodySite.values, description="Only this body site."),
    OpenApiParameter("waiting_days", {"type": "integer", "minimum": 0, "maximum": queue.MAX_WAITING_DAYS},
                     description="Only cases waiting longer than this many days."),
    OpenApiParameter("ai_failed", bool, description="Only cases with an image the AI gave up on."),
    OpenApiParameter("cursor", str, description="The `next` link's position: the page after it (keyset pagination)."),
]


class QueueQuery(serializers.Serializer):
    """The queue's filters as the API takes them: a value it does not know is a 400, not a filter that filters
    nothing (the page, fed by links and forms, is lenient: diagnosis.review.queue.QueueFilters.from_query)."""

    flag = serializers.ChoiceField(choices=list(queue.FLAG_FILTERS), required=False)
    risk = serializers.ChoiceField(choices=list(queue.RISK_BANDS), required=False)
    body_site = serializers.ChoiceField(choices=BodySite.values, required=False)
    waiting_days = serializers.IntegerField(min_value=0, max_value=queue.MAX_WAITING_DAYS, required=False)
    ai_failed = serializers.BooleanField(required=False)
    cursor = serializers.CharField(required=False, allow_blank=True)


class ReviewsQuery(serializers.Serializer):
    mine = serializers.BooleanField(required=False, default=False)


def _queue_filters(query: dict) -> queue.QueueFilters:
    return queue.QueueFilters(
        flag=query.get("flag", ""), risk=query.get("risk", ""), body_site=query.get("body_site", ""),
        waiting_days=query.get("waiting_days") or None, ai_failed=query.get("ai_failed", False),
    )


class ReviewQueueApi(ClinicalListApi):
    permission_classes = [DermatologistApiPermission]
    serializer_class = ReviewQueueEntrySerializer
    filter_backends = []  # diagnosis.review.queue.QueueFilters reads the query parameters

    def get_queryset(self):  # the browsable API asks for it
        return queue.review_queue(user=self.request.user)

    class OutputSerializer(serializers.Serializer):
        count = serializers.IntegerField(help_text="Waiting cases matching the filters.")
        counts = QueueCountsSerializer(help_text="The whole queue by group, whatever the filters.")
        next = serializers.URLField(allow_null=True, help_text="The next page (same filters); null on the last.")
        results = ReviewQueueEntrySerializer(many=True)

        class Meta:
            ref_name = "ReviewQueuePage"

    @extend_schema(
        operation_id="review_queue_list",
        parameters=QUEUE_PARAMETERS,
        responses=OutputSerializer,
        description=(
            "Cases of your clinic awaiting review: melanoma-flagged first, then malignancy-flagged, then those with "
            "an image the AI could not assess, then the rest; within each, highest malignancy risk first, then oldest. "
            "Filters combine; pages follow `next` (a cursor, not a page number). Dermatologists only."
        ),
    )
    def get(self, request):
        query = validated_query(request, QueueQuery)
        filters = _queue_filters(query)
        page = queue.queue_page(user=request.user, filters=filters, cursor=query.get("cursor", ""), size=queue.PAGE_SIZE)
        counts = queue.queue_counts(user=request.user, filters=filters)
        next_url = None
        if page.has_next:
            next_url = request.build_absolute_uri(
                request.path + "?" + urlencode({**filters.query(), "cursor": page.next_cursor})
            )
        context = {"request": request}
        data = {
            "count": counts["matching"],
            "counts": QueueCountsSerializer(counts).data,
            "next": next_url,
            "results": ReviewQueueEntrySerializer(page.object_list, many=True, context=context).data,
        }
        return Response(data)


class ReviewsMadeApi(ClinicalListApi):
    permission_classes = [DermatologistApiPermission]
    serializer_class = ReviewMadeSerializer
    filter_backends = []  # its one filter (mine) is the selector's

    def get_queryset(self):  # the browsable API asks for it
        return queue.reviews_made(user=self.request.user)

    @extend_schema(
        operation_id="reviews_list",
        parameters=[OpenApiParameter("mine", bool, description="Only your own reviews.")],
        responses=ReviewMadeSerializer(many=True),
        description="The reviews in force of your clinic's cases, newest first. Dermatologists only.",
    )
    def get(self, request):
        mine = validated_query(request, ReviewsQuery)["mine"]
        return self.list_response(queue.reviews_made(user=request.user, mine=mine), ReviewMadeSerializer)


def _review_history(*, case: Case, user) -> list[Review]:
    """The case's reviews, newest first, numbered 1.. in the order they were made (Review has no public id)."""
    reviews = list(
        Review.objects.filter(case__in=Case.objects.visible_to(user), case=case)
        .select_related("reviewer")
        .order_by("created_at", "pk")
    )
    numbers = {review.pk: number for number, review in enumerate(reviews, start=1)}
    superseded_by = {review.supersedes_id: numbers[review.pk] for review in reviews if review.supersedes_id}
    for review in reviews:
        review.number = numbers[review.pk]
        review.supersedes_number = numbers.get(review.supersedes_id)
        review.superseded_by_number = superseded_by.get(review.pk)
        review.is_current = review.superseded_by_number is None
    return reviews[::-1]


class CaseReviewsApi(ClaimConflictMixin, ClinicalApi):
    class InputSerializer(serializers.Serializer):
        decision = serializers.ChoiceField(choices=ReviewDecision.choices)
        diagnosis = serializers.ChoiceField(
            choices=DIAGNOSES,
            required=False,
            allow_blank=True,
            default="",
            help_text="Required to override (and different from the AI's); on confirm empty or the AI's (another is refused, 422).",
        )
        plan = serializers.ChoiceField(choices=ManagementPlan.choices, help_text="The management plan.")
        follow_up_months = serializers.IntegerField(
            required=False, allow_null=True, default=None, min_value=1, max_value=60,
            help_text="Months until the follow-up visit: required with plan follow_up, refused with any other plan.",
        )
        downgrade_reason = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=10000,
            help_text=(
                "Required when the decision turns a malignant or flagged opinion (the AI's melanoma or malignancy flag, "
                "its most likely class akiec/bcc/mel, a malignant review in force, malignant histology) into a benign "
                "diagnosis or a reassure/follow_up plan (recorded as a downgrade); refused otherwise."
            ),
        )
        notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)
        review_version = serializers.IntegerField(
            required=False, allow_null=True, default=None, min_value=0,
            help_text=(
                "The case's review version you read: the number of its review in force (0 when it had none), as "
                "the review history numbers it. A review recorded since is answered 409 (with that review and the "
                "version now) instead of being replaced unseen. Omitted: not checked (the new review supersedes "
                "whatever is in force)."
            ),
        )

        class Meta:
            ref_name = "ReviewCreateInput"

    def get_permissions(self):
        if self.request.method == "POST":
            return [DermatologistApiPermission()]
        return super().get_permissions()

    @extend_schema(
        operation_id="cases_reviews_list",
        responses=ReviewSerializer(many=True),
        description="The case's review history, newest first. A new review supersedes the previous one; none is edited.",
    )
    def get(self, request, public_id):
        case = patient_selectors.case_get(user=request.user, public_id=public_id)
        return Response(ReviewSerializer(_review_history(case=case, user=request.user), many=True).data)

    @extend_schema(
        operation_id="cases_reviews_create",
        request=InputSerializer,
        responses={201: ReviewSerializer, 409: OpenApiResponse(
            description="A colleague holds the case's claim, or a review was recorded after the review_version sent.")},
        description=(
            "Confirm the AI's diagnosis or override it. Dermatologists of the case's clinic only; "
            "the case must have an AI result (awaiting review, or reviewed: the new review supersedes the last). "
            "409 while a colleague holds the case's claim (take it over first); the review releases your own claim. "
            "422 with {field: [messages]} for a decision the rules refuse (diagnosis.review.rules): confirm with a "
            "diagnosis other than the AI's, override without a diagnosis or with the AI's, a plan that does not fit "
            "the diagnosis (reassure for akiec/bcc/mel, follow_up for mel), a downgrade without a reason."
        ),
    )
    def post(self, request, public_id):
        case = patient_selectors.case_get(user=request.user, public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = review_services.review_submit(case=case, reviewer=request.user, **serializer.validated_data)
        [recorded] = [r for r in _review_history(case=case, user=request.user) if r.pk == review.pk]
        return Response(ReviewSerializer(recorded).data, status=status.HTTP_201_CREATED)


class CaseRetryAiApi(ClinicalApi):
    class OutputSerializer(serializers.Serializer):
        case = serializers.UUIDField(help_text="The case's public id.")
        status = serializers.ChoiceField(choices=CaseStatus.choices, help_text="The case's status now.")
        count = serializers.IntegerField(help_text="Images sent to the AI again.")

        class Meta:
            ref_name = "RetryAiResult"

    @extend_schema(
        operation_id="cases_retry_ai",
        request=None,
        responses={202: OutputSerializer},
        description=(
            "Send the images the AI failed on or still owes back to it (clinic staff only) when `retry_allowed` "
            "says so: a case in ai_failed, one awaiting review with failed images, or one with delayed images. "
            "Classified images keep their predictions and a case in review keeps its status. 409 otherwise."
        ),
    )
    def post(self, request, public_id):
        case = patient_selectors.case_get(user=request.user, public_id=public_id)
        count = enqueue.case_retry_classification(case=case, user=request.user)
        case.refresh_from_db(fields=["status"])
        data = self.OutputSerializer({"case": case.public_id, "status": case.status, "count": count}).data
        return Response(data, status=status.HTTP_202_ACCEPTED)


class CaseHistologyApi(ClinicalApi):
    """Staff and dermatologists of the case's clinic read and enter its histology (both count as writers here)."""

    class InputSerializer(serializers.Serializer):
        diagnosis = serializers.ChoiceField(
            choices=HISTOLOGY_DIAGNOSES, help_text="One of the seven classes (" + ", ".join(HISTOLOGY_CODES[:-1]) + ") or other."
        )
        reported_on = serializers.DateField(help_text="Date of the histopathology report; not in the future.")
        report_reference = serializers.CharField(max_length=100, help_text="The laboratory's reference of the report.")

        class Meta:
            ref_name = "HistologyCreateInput"

    def get_permissions(self):
        if self.request.method == "POST":
            return [HistologyApiPermission()]
        return super().get_permissions()

    @extend_schema(
        operation_id="cases_histology_list",
        responses=HistologySerializer(many=True),
        description="The case's histology entries, newest first; the one in force is the case's ground truth.",
    )
    def get(self, request, public_id):
        case = patient_selectors.case_get(user=request.user, public_id=public_id)
        return Response(HistologySerializer(review_selectors.histologies(case=case), many=True).data)

    @extend_schema(
        operation_id="cases_histology_create",
        request=InputSerializer,
        responses={201: HistologySerializer},
        description=(
            "Enter the histopathology result (staff or dermatologists of the case's clinic). It becomes the case's "
            "headline; a later entry supersedes the earlier one."
        ),
    )
    def post(self, request, public_id):
        case = patient_selectors.case_get(user=request.user, public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        histology = review_services.histology_record(case=case, user=request.user, **serializer.validated_data)
        return Response(HistologySerializer(histology).data, status=status.HTTP_201_CREATED)


class CaseClaimApi(ClaimConflictMixin, ClinicalApi):
    """The case's review claim: who is reviewing it now. Dermatologists of the case's clinic only."""

    permission_classes = [DermatologistApiPermission]

    class InputSerializer(serializers.Serializer):
        take_over = serializers.BooleanField(
            required=False, default=False,
            help_text="Take the case over from a colleague who holds it (audited). Without it, their claim is a 409.",
        )

        class Meta:
            ref_name = "ReviewClaimInput"

    class OutputSerializer(serializers.Serializer):
        claim = ReviewClaimSerializer(allow_null=True, help_text="null when nobody is reviewing the case.")

        class Meta:
            ref_name = "CaseClaim"

    def _answer(self, claim, code=status.HTTP_200_OK):
        data = {"claim": None if claim is None else ReviewClaimSerializer(claim, context={"request": self.request}).data}
        return Response(data, status=code)

    @extend_schema(operation_id="cases_claim_retrieve", responses=OutputSerializer,
                   description="Who is reviewing the case now (a lapsed claim is none).")
    def get(self, request, public_id):
        case = patient_selectors.case_get(user=request.user, public_id=public_id)
        return self._answer(claims.claim_current(case=case))

    @extend_schema(
        operation_id="cases_claim_create",
        request=InputSerializer,
        responses={200: OutputSerializer, 409: OpenApiResponse(description="A colleague holds the case (their claim in the body).")},
        description=(
            "Claim a case awaiting review before reviewing it (renews your own claim). A claim lapses after "
            "DERM_CLAIM_IDLE_MINUTES (30) without activity; recording a review releases it. 409 when a colleague "
            "holds it, unless take_over is true, or when the case is not awaiting review."
        ),
    )
    def post(self, request, public_id):
        case = patient_selectors.case_get(user=request.user, public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        claim = claims.claim_take(case=case, user=request.user, take_over=serializer.validated_data["take_over"])
        return self._answer(claim)

    @extend_schema(operation_id="cases_claim_destroy", request=None, responses={204: None},
                   description="Release your claim without reviewing: the case is free for colleagues. 409 when you hold none.")
    def delete(self, request, public_id):
        case = patient_selectors.case_get(user=request.user, public_id=public_id)
        claims.claim_release(case=case, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
