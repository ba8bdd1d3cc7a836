"""The case's open image warnings (diagnosis.review.case_warnings) in the API: read them, and mark one checked."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from diagnosis.models import WarningKind
from diagnosis.models.warning_check import CHECKABLE
from diagnosis.review import case_warnings
from diagnosis.review.api.permissions import HistologyApiPermission
from patients import selectors as patient_selectors
from dermplatform.api.views import ClinicalApi


class CaseWarningSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=WarningKind.choices, help_text="duplicate, not_assessable or ai_failed.")
    label = serializers.CharField(help_text="The kind in words.")
    image = serializers.UUIDField(source="image.public_id", help_text="The image it is about.")
    text = serializers.CharField(help_text="What is wrong and what to do, in words for the clinic.")
    checkable = serializers.BooleanField(
        help_text="Whether it can be marked checked (duplicate, not_assessable); ai_failed leaves on a successful retry.")

    class Meta:
        ref_name = "CaseWarning"


class CaseWarningsApi(ClinicalApi):
    """Warnings that concern the decision stay on the case until someone acts: read by the clinic's staff and
    dermatologists, who may also mark one checked (audited)."""

    class InputSerializer(serializers.Serializer):
        image = serializers.UUIDField(help_text="The image whose warning you checked.")
        kind = serializers.ChoiceField(choices=[(k, WarningKind(k).label) for k in CHECKABLE])

        class Meta:
            ref_name = "CaseWarningCheckInput"

    def get_permissions(self):
        if self.request.method == "POST":
            return [HistologyApiPermission()]  # the clinic's staff and dermatologists, as for histology
        return super().get_permissions()

    def _answer(self, case):
        return Response(CaseWarningSerializer(case_warnings.case_warnings(case=case), many=True).data)

    @extend_schema(operation_id="cases_warnings_list", responses=CaseWarningSerializer(many=True),
                   description="The case's open image warnings: a file also stored for another patient of the "
                               "clinic, an image the AI could not assess (until retaken or checked), an image the "
                               "AI failed on (until a retry succeeds).")
    def get(self, request, public_id):
        return self._answer(patient_selectors.case_get(user=request.user, public_id=public_id))

    @extend_schema(operation_id="cases_warnings_check", request=InputSerializer,
                   responses=CaseWarningSerializer(many=True),
                   description="Mark one open warning checked (duplicate or not_assessable; audited); answers the "
                               "warnings left. 422 when it is not open.")
    def post(self, request, public_id):
        case = patient_selectors.case_get(user=request.user, public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case_warnings.warning_check(case=case, image_public_id=serializer.validated_data["image"],
                                    kind=serializer.validated_data["kind"], user=request.user)
        return self._answer(case)
