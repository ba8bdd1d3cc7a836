"""Output serializers of the diagnosis API. Public ids only: database ids never leave the server.

Input serializers live inside the views that use them.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from diagnosis.models import Prediction, ReviewDecision
from diagnosis.models.prediction import Flag
from diagnosis.models.review import DIAGNOSES
from diagnosis.review.api.case_warnings_api import CaseWarningSerializer
from diagnosis.review.selectors import case_headline
from patients.models import BodySite, Case, CaseStatus

PROBABILITIES_HELP = "Every class of the model with its probability, highest first; they sum to 1."


class ProbabilitiesField(serializers.DictField):
    """{class code: probability}, most probable first."""

    child = serializers.FloatField()

    def to_representation(self, value):
        items = value.items() if isinstance(value, dict) else value
        return {code: float(p) for code, p in sorted(items, key=lambda item: item[1], reverse=True)}


class ClassProbabilitySerializer(serializers.Serializer):
    diagnosis = serializers.CharField(help_text="Class code (akiec, bcc, bkl, df, mel, nv, vasc).")
    probability = serializers.FloatField()

    class Meta:
        ref_name = "ClassProbability"


class ModelVersionSerializer(serializers.Serializer):
    name = serializers.CharField()
    sha256 = serializers.CharField(help_text="SHA-256 of the model file.")

    class Meta:
        ref_name = "ModelVersionRef"


FLAG_HELP = (
    "The AI's flag, most urgent first: mel (suspicious for melanoma), malignant (suspicious for akiec, bcc or "
    "melanoma), not_assessable (the image guard refused the image), none (not flagged at the operating points: "
    "a second opinion, not a rule-out), unavailable (the model has no operating points)."
)


class FlagSerializer(serializers.Serializer):
    flagged = serializers.BooleanField(allow_null=True, help_text="null when the model has no such operating point.")
    score = serializers.FloatField(allow_null=True, help_text="The score compared with the threshold.")
    threshold = serializers.FloatField(allow_null=True, help_text="Threshold of the model card's operating point.")

    class Meta:
        ref_name = "Flag"


class PredictionFlagsSerializer(serializers.Serializer):
    mel = FlagSerializer(help_text="Suspicious for melanoma: P(mel) ≥ threshold.")
    malignant = FlagSerializer(help_text="Suspicious for malignancy: P(akiec) + P(bcc) + P(mel) ≥ threshold.")

    class Meta:
        ref_name = "PredictionFlags"


class CaseFlagsSerializer(serializers.Serializer):
    mel = serializers.BooleanField(allow_null=True, help_text="Any assessable image flagged for melanoma (null: no operating point).")
    malignant = serializers.BooleanField(allow_null=True, help_text="Any assessable image flagged for malignancy (null: no operating point).")

    class Meta:
        ref_name = "CaseFlags"


class PredictionSerializer(serializers.ModelSerializer):
    image = serializers.UUIDField(source="image.public_id", read_only=True, help_text="The image's public id.")
    probabilities = ProbabilitiesField(read_only=True, help_text=PROBABILITIES_HELP)
    top_classes = serializers.SerializerMethodField(help_text="The three most probable classes.")
    risk_level = serializers.ChoiceField(choices=["low", "medium", "high"], read_only=True)
    model_version = ModelVersionSerializer(read_only=True)
    heatmap_url = serializers.SerializerMethodField(help_text="Grad-CAM heat-map (PNG); null when the model gives none.")
    flag = serializers.ChoiceField(choices=Flag.CHOICES, read_only=True, help_text=FLAG_HELP)
    flags = PredictionFlagsSerializer(read_only=True, help_text="Both flags with their scores and thresholds.")
    not_assessable_reason = serializers.CharField(read_only=True, help_text="Why the image guard refused it; empty when assessable.")
    guard = serializers.DictField(child=serializers.FloatField(), read_only=True, help_text="The image guard's signal values.")
    metadata_used = serializers.DictField(read_only=True, help_text="Age, sex and body site as given to the model.")

    class Meta:
        model = Prediction
        fields = [
            "public_id",
            "image",
            "flag",
            "flags",
            "assessable",
            "not_assessable_reason",
            "probabilities",
            "top_class",
            "top_classes",
            "confidence",
            "malignancy_risk",
            "risk_level",
            "model_version",
            "duration_ms",
            "created_at",
            "heatmap_url",
            "guard",
            "metadata_used",
        ]
        read_only_fields = fields

    @extend_schema_field(ClassProbabilitySerializer(many=True))
    def get_top_classes(self, prediction: Prediction) -> list[dict]:
        return [{"diagnosis": code, "probability": p} for code, p in prediction.top_classes]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_heatmap_url(self, prediction: Prediction) -> str | None:
        if not prediction.heatmap:
            return None
        return reverse(
            "diagnosis_api:prediction_heatmap",
            kwargs={"public_id": prediction.public_id},
            request=self.context.get("request"),
        )


class CaseAiSummarySerializer(serializers.Serializer):
    """diagnosis.opinion.case_ai_summary: the latest prediction of each image; the flag leads."""

    flag = serializers.ChoiceField(choices=Flag.CHOICES, help_text="The case's flag. " + FLAG_HELP)
    flag_text = serializers.CharField(help_text="The flag in plain words, as the pages lead with it.")
    operating_point = serializers.CharField(help_text="The operating point behind the flag, in words; empty when none.")
    flags = CaseFlagsSerializer(help_text="Case-level flags over the assessable images.")
    assessable = serializers.BooleanField(help_text="False when the AI could assess no image: then there is no AI diagnosis.")
    probabilities = ProbabilitiesField(
        help_text="Each class's probability averaged over the assessable images; they sum to 1 (empty when none)."
    )
    top_class = serializers.CharField(allow_null=True, help_text="null when no image was assessable.")
    confidence = serializers.FloatField(allow_null=True, help_text="Averaged probability of the top class.")
    malignancy_risk = serializers.FloatField(allow_null=True, help_text="The highest malignancy risk among the assessable images.")
    model_versions = serializers.ListField(child=serializers.CharField(), help_text="Versions that gave the predictions.")
    predictions = PredictionSerializer(many=True, help_text="One per image: its latest prediction.")

    class Meta:
        ref_name = "CaseAiSummary"


class FailedImageSerializer(serializers.Serializer):
    image = serializers.UUIDField(source="image.public_id", help_text="The image's public id.")
    reason = serializers.CharField(source="failure_reason", help_text="Why the AI gave up on it.")
    attempts = serializers.IntegerField(help_text="Tries that ended in an error.")
    failed_at = serializers.DateTimeField()

    class Meta:
        ref_name = "FailedImage"


class DelayedImageSerializer(serializers.Serializer):
    image = serializers.UUIDField(source="public_id", help_text="The image's public id.")
    waiting_since = serializers.DateTimeField(help_text="Its upload, or staff's last retry.")

    class Meta:
        ref_name = "DelayedImage"


class CaseAiSerializer(serializers.Serializer):
    case = serializers.UUIDField(help_text="The case's public id.")
    status = serializers.ChoiceField(choices=CaseStatus.choices, help_text="The case's status.")
    failed_images = FailedImageSerializer(
        many=True,
        help_text="Images the AI gave up on, with the reason: failure is per image, the others still go to review.",
    )
    delayed_images = DelayedImageSerializer(
        many=True,
        help_text="Images waiting for the AI longer than DERM_AI_DELAYED_SECONDS (10 minutes by default): their "
                  "task may be lost; the platform keeps sending them, and staff may retry.",
    )
    retry_allowed = serializers.BooleanField(
        help_text="Whether the case's staff may ask the AI again now (POST .../retry-ai/ accepts it): the AI "
                  "failed on the case or some of its images, or is delayed.",
    )
    warnings = CaseWarningSerializer(
        many=True,
        help_text="Open warnings about the case's images that concern the decision (also GET .../warnings/): they "
                  "stay until resolved or marked checked.",
    )
    summary = CaseAiSummarySerializer(
        allow_null=True,
        help_text=(
            "null while no image of the case has a prediction yet: `status` then says why "
            "(draft: no image; awaiting_ai: on its way; ai_failed: staff may retry)."
        ),
    )

    class Meta:
        ref_name = "CaseAi"


class ReviewSerializer(serializers.Serializer):
    """A review in its case's history. Reviews are numbered 1, 2, ... in the order they were made."""

    number = serializers.IntegerField(help_text="Position in the case's review history, 1 for the first review.")
    decision = serializers.ChoiceField(choices=ReviewDecision.choices)
    diagnosis = serializers.ChoiceField(choices=DIAGNOSES)
    # A CharField: a second ChoiceField on DIAGNOSES would need an ENUM_NAME_OVERRIDES entry in the settings.
    ai_diagnosis = serializers.CharField(
        help_text="The AI's top class (a diagnosis code) when the review was made; empty when the AI could assess no image."
    )
    plan = serializers.CharField(
        help_text="Management plan: reassure, follow_up, excision, biopsy or referral (empty on reviews made before plans)."
    )
    plan_text = serializers.CharField(help_text="The plan in words, with the follow-up interval.")
    follow_up_months = serializers.IntegerField(allow_null=True, help_text="With plan follow_up only.")
    is_downgrade = serializers.BooleanField(
        help_text="True when this review turned a malignant or flagged opinion into a benign diagnosis or a reassure/follow_up plan."
    )
    downgraded_from = serializers.CharField(
        help_text="The malignant class the downgrade went against (histology, review in force, AI; mel for the melanoma flag); may be empty."
    )
    downgrade_of = serializers.CharField(
        source="downgrade_sources", help_text="What the downgrade went against, in words; empty unless is_downgrade."
    )
    downgrade_reason = serializers.CharField(help_text="Why the decision went against it; empty unless is_downgrade.")
    notes = serializers.CharField()
    reviewer = serializers.CharField(source="reviewer.username")
    created_at = serializers.DateTimeField()
    supersedes = serializers.IntegerField(
        source="supersedes_number", allow_null=True, help_text="Number of the review this one replaced."
    )
    superseded_by = serializers.IntegerField(
        source="superseded_by_number", allow_null=True, help_text="Number of the review that replaced this one."
    )
    is_current = serializers.BooleanField(help_text="True for the review in force (superseded by none).")

    class Meta:
        ref_name = "Review"


class ReviewClaimSerializer(serializers.Serializer):
    """Who is reviewing a case now (diagnosis.review.claims)."""

    holder = serializers.CharField(source="holder.username", help_text="The dermatologist's user name.")
    holder_name = serializers.CharField(help_text="The dermatologist's full name.")
    claimed_at = serializers.DateTimeField()
    last_active_at = serializers.DateTimeField(help_text="The holder's last activity on the case.")
    expires_at = serializers.DateTimeField(help_text="When the claim lapses unless its holder works on the case again.")
    yours = serializers.SerializerMethodField(help_text="True when you hold it.")

    class Meta:
        ref_name = "ReviewClaim"

    def get_yours(self, claim) -> bool:
        request = self.context.get("request")
        return request is not None and claim.holder_id == request.user.pk


class ReviewQueueEntrySerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="patients_api:case_detail", lookup_field="public_id", lookup_url_kwarg="public_id"
    )
    patient = serializers.UUIDField(source="patient.public_id", read_only=True)
    body_site = serializers.ChoiceField(choices=BodySite.choices, read_only=True)
    flag = serializers.ChoiceField(choices=Flag.CHOICES, read_only=True, help_text="The case's flag group. " + FLAG_HELP)
    malignancy_risk = serializers.FloatField(
        source="risk", read_only=True, allow_null=True,
        help_text="The highest malignancy risk among the case's assessable images.",
    )
    ai_url = serializers.HyperlinkedIdentityField(
        view_name="diagnosis_api:case_ai", lookup_field="public_id", lookup_url_kwarg="public_id"
    )
    reviews_url = serializers.HyperlinkedIdentityField(
        view_name="diagnosis_api:case_reviews", lookup_field="public_id", lookup_url_kwarg="public_id"
    )
    claim = serializers.SerializerMethodField(help_text="Who is reviewing the case now; null when nobody is.")

    class Meta:
        model = Case
        fields = [
            "public_id", "url", "patient", "body_site", "status", "created_at", "flag", "malignancy_risk", "ai_url",
            "reviews_url", "claim",
        ]
        read_only_fields = fields

    @extend_schema_field(ReviewClaimSerializer(allow_null=True))
    def get_claim(self, case) -> dict | None:
        claim = getattr(case, "review_claim", None)
        if claim is None or not claim.is_active():
            return None
        return ReviewClaimSerializer(claim, context=self.context).data


class QueueCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Cases awaiting review.")
    mel = serializers.IntegerField(help_text="Suspicious for melanoma.")
    malignant = serializers.IntegerField(help_text="Suspicious for malignancy (not melanoma-flagged).")
    not_assessable = serializers.IntegerField(help_text="With an image the AI could not assess (and no flag).")
    none = serializers.IntegerField(help_text="Not flagged, or the model has no operating point.")
    ai_failed = serializers.IntegerField(help_text="With an image the AI gave up on.")

    class Meta:
        ref_name = "ReviewQueueCounts"


class ReviewMadeSerializer(serializers.Serializer):
    """A review in force, with its case: the "reviewed" and "my reviews" lists."""

    case = serializers.UUIDField(source="case.public_id", help_text="The case's public id.")
    case_url = serializers.HyperlinkedRelatedField(
        source="case", read_only=True, view_name="patients_api:case_detail", lookup_field="public_id",
        lookup_url_kwarg="public_id",
    )
    patient = serializers.UUIDField(source="case.patient.public_id")
    body_site = serializers.CharField(source="case.body_site")
    decision = serializers.ChoiceField(choices=ReviewDecision.choices)
    diagnosis = serializers.CharField(help_text="The dermatologist's diagnosis code.")
    plan = serializers.CharField()
    plan_text = serializers.CharField()
    is_downgrade = serializers.BooleanField()
    reviewer = serializers.CharField(source="reviewer.username")
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "ReviewMade"


class HistologySerializer(serializers.Serializer):
    """A histology entry in its case's history, newest first."""

    diagnosis = serializers.CharField(help_text="akiec, bcc, bkl, df, mel, nv, vasc, or other.")
    reported_on = serializers.DateField(help_text="Date of the histopathology report.")
    report_reference = serializers.CharField()
    entered_by = serializers.CharField(source="entered_by.username")
    created_at = serializers.DateTimeField()
    is_current = serializers.SerializerMethodField(help_text="True for the entry in force (superseded by none).")

    class Meta:
        ref_name = "Histology"

    def get_is_current(self, histology) -> bool:
        return not hasattr(histology, "superseded_by")


class CaseHeadlineSerializer(serializers.Serializer):
    """What the case leads with: histology when present, else the dermatologist's current decision, else the AI."""

    source = serializers.ChoiceField(choices=["histology", "decision", "ai"], help_text="Which of the three leads.")
    diagnosis = serializers.CharField(help_text="Its diagnosis code; empty when the AI could assess no image.")
    diagnosis_name = serializers.CharField()
    text = serializers.CharField(help_text="The headline in words (for the AI: its flag).")
    detail = serializers.CharField(help_text="Report reference and date, a downgrade's reason, or the AI's class.")
    plan = serializers.CharField(help_text="The decision's management plan in words; empty for histology and the AI.")
    flag = serializers.CharField(help_text="The AI's flag when the AI leads; empty otherwise.")

    class Meta:
        ref_name = "CaseHeadline"


def case_headline_data(case, context) -> dict | None:
    """The case detail's `headline` (patients.api asks for it without importing diagnosis)."""
    headline = case_headline(case=case)
    return None if headline is None else CaseHeadlineSerializer(headline, context=context).data
