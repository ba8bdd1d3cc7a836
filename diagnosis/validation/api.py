"""Adopting a local validation run's clinic thresholds through the API: admins (their token issued with the second
factor, or a verified session); a dermatologist of the clinic gets 403, anyone of another clinic 404, and a refusal
by the rules (fewer than 30 positives, run not finished) 422."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from dermplatform.api import policy
from dermplatform.api.views import ClinicalApi
from diagnosis.models import ClinicThresholds
from diagnosis.validation import selectors, services


class ValidationApiPermission(BasePermission):
    message = "Only dermatologists and administrators use local validation."

    def has_permission(self, request, view) -> bool:
        return policy.can_read_clinic_reports(request.user)


class ClinicThresholdsSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True, help_text='E.g. "clinic threshold of 2026-12-10".')

    class Meta:
        model = ClinicThresholds
        fields = ["public_id", "kind", "mel_threshold", "malignant_threshold", "label", "created_at"]


class ThresholdsAdoptApi(ClinicalApi):
    permission_classes = [ValidationApiPermission]

    class InputSerializer(serializers.Serializer):
        flags = serializers.ListField(
            child=serializers.ChoiceField(choices=["mel", "malignant"]), min_length=1, max_length=2,
            help_text="The flags whose proposed threshold to adopt: mel, malignant or both.",
        )

        class Meta:
            ref_name = "ThresholdsAdoptInput"

    @extend_schema(
        operation_id="validation_runs_thresholds_adopt",
        request=InputSerializer,
        responses={201: ClinicThresholdsSerializer},
        description=(
            "Adopt the run's proposed threshold (the highest reaching the target sensitivity on the clinic's data) "
            "for each flag, for the run's clinic and model version: a new version of the clinic's thresholds, "
            "audited. Administrators only (403 for dermatologists); 422 when the run holds fewer than 30 "
            "positives of a flag or has not finished."
        ),
    )
    def post(self, request, public_id):
        run = selectors.run_get(user=request.user, public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = services.clinic_thresholds_adopt(run=run, user=request.user, keys=serializer.validated_data["flags"])
        return Response(ClinicThresholdsSerializer(row).data, status=status.HTTP_201_CREATED)
