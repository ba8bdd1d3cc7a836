"""Output of the real-world performance API: diagnosis.reports.performance's figures as they are, field by field.
Model versions are named by name and SHA-256 (no database ids leave the server)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diagnosis.review.api.serializers import ModelVersionSerializer


class ProportionSerializer(serializers.Serializer):
    hits = serializers.IntegerField()
    total = serializers.IntegerField()
    value = serializers.FloatField(allow_null=True, help_text="hits / total; null when total is 0.")
    interval = serializers.ListField(
        child=serializers.FloatField(), min_length=2, max_length=2, allow_null=True,
        help_text="The 95 % Wilson score interval [low, high]; null when total is 0.",
    )

    class Meta:
        ref_name = "Proportion"


class MelanomaFlagSerializer(serializers.Serializer):
    sensitivity = ProportionSerializer(help_text="Histological melanomas the flag was raised on.")
    specificity = ProportionSerializer(help_text="Other histological diagnoses the flag was not raised on.")

    class Meta:
        ref_name = "MelanomaFlagPerformance"


class DetectionSerializer(serializers.Serializer):
    sensitivity = ProportionSerializer(help_text="Histological positives the call was made on.")
    specificity = ProportionSerializer(help_text="Histological negatives the call was not made on.")

    class Meta:
        ref_name = "DetectionPerformance"


class ClassPerformanceSerializer(serializers.Serializer):
    diagnosis = serializers.CharField(source="code", help_text="Class code (akiec, bcc, bkl, df, mel, nv, vasc).")
    agreement = ProportionSerializer(help_text="The AI's most likely class on the cases the dermatologist gave this diagnosis.")
    flagged = ProportionSerializer(help_text="Cases of this histological diagnosis flagged for melanoma.")

    class Meta:
        ref_name = "ClassPerformance"


class PeriodSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="Month of the visits, YYYY-MM (the platform's time zone).")
    agreement = ProportionSerializer()
    mel_flag = MelanomaFlagSerializer()

    class Meta:
        ref_name = "MonthPerformance"


class ConfusionMatrixSerializer(serializers.Serializer):
    rows = serializers.ListField(child=serializers.CharField(), help_text="The reference diagnoses, one per row.")
    columns = serializers.ListField(child=serializers.CharField(), help_text="The AI's most likely class, one per column.")
    counts = serializers.SerializerMethodField(help_text="counts[row][column]: cases with that reference and AI class.")
    total = serializers.IntegerField()

    class Meta:
        ref_name = "ConfusionMatrix"

    @extend_schema_field(serializers.ListField(child=serializers.ListField(child=serializers.IntegerField())))
    def get_counts(self, matrix) -> list[list[int]]:
        return [[matrix.counts[row, column] for column in matrix.columns] for row in matrix.rows]


class VersionPerformanceSerializer(serializers.Serializer):
    model_version = ModelVersionSerializer(source="version")
    is_active = serializers.BooleanField(source="version.is_active", help_text="The version the AI uses now.")
    cases = serializers.IntegerField(help_text="Cases this version gave an opinion on (archived cases left out).")
    not_assessable = serializers.IntegerField(help_text="Of which it could assess no image.")
    reviewed = serializers.IntegerField(help_text="Of which have a dermatologist's decision in force.")
    downgrades = serializers.IntegerField(
        help_text="Of those, decisions recorded as downgrades: a malignant or flagged opinion turned benign, with a reason."
    )
    agreement = ProportionSerializer(help_text="Its most likely class against the dermatologist's decision in force.")
    mel_flag = MelanomaFlagSerializer(help_text="Its melanoma flag against histology.")
    malignant_flag = DetectionSerializer(
        help_text="Its malignancy flag against histology: akiec, bcc or mel positive; 'other' histology left out."
    )
    dermatologist_mel = DetectionSerializer(
        help_text="The dermatologists' decisions in force (melanoma or not) against histology, on the same cases."
    )
    dermatologist_malignant = DetectionSerializer(
        help_text="The dermatologists' decisions in force (a malignant class or not) against histology; 'other' left out."
    )
    classes = ClassPerformanceSerializer(many=True)
    months = PeriodSerializer(source="periods", many=True)
    versus_dermatologist = ConfusionMatrixSerializer()
    versus_histology = ConfusionMatrixSerializer()

    class Meta:
        ref_name = "VersionPerformance"


class PerformanceSerializer(serializers.Serializer):
    scope = serializers.CharField(help_text="The clinic the figures cover, or \"all clinics\" (administrators).")
    versions = VersionPerformanceSerializer(many=True, help_text="Per model version, the newest registered first.")

    class Meta:
        ref_name = "Performance"
