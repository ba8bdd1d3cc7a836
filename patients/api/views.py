"""Clinical REST API: thin views. Reads go through selectors (visible_to), writes through services.

Every view requires ClinicalApiPermission (staff read/write, dermatologists
read, everyone else 401/403); objects of another clinic are simply not found
(404). Errors are answered by dermplatform.api.exception_handler: 400 for input
the schema refuses, 409 for a record's state, 422 for schema-valid input a rule
refuses, 503 with Retry-After while the server is busy with large images.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from dermplatform.api.errors import Unprocessable
from dermplatform.api.permissions import ClinicalApiPermission
from dermplatform.api.views import ClinicalApi, ClinicalListApi, ImageBytesApi
from patients import selectors, services
from patients.models import BodySite, Case, Lesion, LesionImage, Patient, Sex, Side
from patients.views.images import image_response

from .filters import CaseFilter, PatientFilter
from .serializers import CaseDetailSerializer, CaseSerializer, LesionImageSerializer, PatientSerializer


class ArchiveInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the record is archived (required).")

    class Meta:
        ref_name = "ArchiveInput"


# --- patients ---------------------------------------------------------------


class PatientListCreateApi(ClinicalListApi):
    filterset_class = PatientFilter
    serializer_class = PatientSerializer

    class InputSerializer(serializers.Serializer):
        medical_record_number = serializers.CharField(max_length=64)
        first_name = serializers.CharField(max_length=100)
        last_name = serializers.CharField(max_length=100)
        date_of_birth = serializers.DateField(help_text="Not in the future.")
        sex = serializers.ChoiceField(choices=Sex.choices, default=Sex.UNKNOWN)

        class Meta:
            ref_name = "PatientCreateInput"

    def get_queryset(self):
        return selectors.patient_list(user=self.request.user, include_archived=True)

    @extend_schema(operation_id="patients_list", responses=PatientSerializer(many=True))
    def get(self, request):
        return self.list_response(self.get_queryset(), PatientSerializer)

    @extend_schema(operation_id="patients_create", request=InputSerializer, responses={201: PatientSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        patient = services.patient_create(created_by=request.user, **serializer.validated_data)
        return Response(PatientSerializer(patient, context={"request": request}).data, status=status.HTTP_201_CREATED)


class PatientSearchPermission(ClinicalApiPermission):
    """A search is a read sent by POST (its terms stay out of the address): readers may post it."""

    write_roles = ClinicalApiPermission.read_roles


class PatientSearchApi(ClinicalListApi):
    """The patient list searched with terms in the body, not the address (server logs keep addresses)."""

    permission_classes = [PatientSearchPermission]
    serializer_class = PatientSerializer
    queryset = Patient.objects.none()  # for the schema only; the answer comes from selectors.patient_list

    class InputSerializer(serializers.Serializer):
        q = serializers.CharField(
            max_length=200, allow_blank=True, help_text="Any part of the medical record number, words of the first or last name, or a date of birth (14/03/1986 or 1986-03-14)."
        )
        include_archived = serializers.BooleanField(default=False, help_text="Include archived patients.")

        class Meta:
            ref_name = "PatientSearchInput"

    @extend_schema(
        operation_id="patients_search", request=InputSerializer, responses=PatientSerializer(many=True),
        description="The same answer as GET /api/patients/?search=..., with the terms in the body. Pages: ?page=N.",
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        patients = selectors.patient_list(
            user=request.user, search=serializer.validated_data["q"].strip(),
            include_archived=serializer.validated_data["include_archived"],
        )
        page = self.paginate_queryset(patients)
        return self.get_paginated_response(PatientSerializer(page, many=True, context={"request": request}).data)


class PatientDetailApi(ClinicalApi):
    class InputSerializer(serializers.Serializer):
        medical_record_number = serializers.CharField(max_length=64, required=False)
        first_name = serializers.CharField(max_length=100, required=False)
        last_name = serializers.CharField(max_length=100, required=False)
        date_of_birth = serializers.DateField(required=False, help_text="Not in the future.")
        sex = serializers.ChoiceField(choices=Sex.choices, required=False)

        class Meta:
            ref_name = "PatientUpdateInput"

    @extend_schema(responses=PatientSerializer)
    def get(self, request, public_id):
        patient = selectors.patient_get(user=request.user, public_id=public_id)
        return Response(PatientSerializer(patient, context={"request": request}).data)

    @extend_schema(request=InputSerializer, responses=PatientSerializer)
    def patch(self, request, public_id):
        patient = selectors.patient_get(user=request.user, public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        patient = services.patient_update(patient=patient, user=request.user, **serializer.validated_data)
        return Response(PatientSerializer(patient, context={"request": request}).data)


class PatientArchiveApi(ClinicalApi):
    @extend_schema(
        operation_id="patients_archive",
        request=ArchiveInputSerializer,
        responses=PatientSerializer,
        description="Archive the patient and their open cases. Records are never deleted.",
    )
    def post(self, request, public_id):
        patient = selectors.patient_get(user=request.user, public_id=public_id)
        serializer = ArchiveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        patient = services.patient_archive(patient=patient, user=request.user, **serializer.validated_data)
        return Response(PatientSerializer(patient, context={"request": request}).data)


# --- cases ------------------------------------------------------------------


class CaseListCreateApi(ClinicalListApi):
    filterset_class = CaseFilter
    serializer_class = CaseSerializer

    class InputSerializer(serializers.Serializer):
        patient = serializers.UUIDField(help_text="The patient's public id.")
        lesion = serializers.UUIDField(
            required=False, allow_null=True, default=None,
            help_text="A lesion of the patient (public id): the case is a follow-up visit of it. Omitted: a new lesion.",
        )
        body_site = serializers.ChoiceField(
            choices=BodySite.choices, required=False, default="", help_text="Of the new lesion; required without `lesion`."
        )
        side = serializers.ChoiceField(choices=Side.choices, required=False, default="", help_text="Of the new lesion.")
        label = serializers.CharField(required=False, allow_blank=True, default="", max_length=100,
                                      help_text="Short label of the new lesion.")
        clinical_notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)

        class Meta:
            ref_name = "CaseCreateInput"

    def get_queryset(self):
        return selectors.case_list(user=self.request.user, include_archived=True).select_related("created_by")

    @extend_schema(operation_id="cases_list", responses=CaseSerializer(many=True))
    def get(self, request):
        return self.list_response(self.get_queryset(), CaseSerializer)

    @extend_schema(operation_id="cases_create", request=InputSerializer, responses={201: CaseDetailSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        # Another clinic's patient reads exactly like one that does not exist.
        patient = Patient.objects.visible_to(request.user).filter(public_id=data.pop("patient")).first()
        if patient is None:
            raise Unprocessable({"patient": ["No such patient."]})
        lesion_id = data.pop("lesion")
        if lesion_id is not None:
            data["lesion"] = Lesion.objects.visible_to(request.user).filter(public_id=lesion_id, patient=patient).first()
            if data["lesion"] is None:
                raise Unprocessable({"lesion": ["No such lesion of this patient."]})
        case = _with_images(services.case_create(patient=patient, created_by=request.user, **data), request.user)
        return Response(CaseDetailSerializer(case, context={"request": request}).data, status=status.HTTP_201_CREATED)


def _with_images(case: Case, user) -> Case:
    """Attach the case's images for CaseDetailSerializer, read through visible_to() like every queryset."""
    images = LesionImage.objects.visible_to(user).filter(case=case).select_related("case", "uploaded_by")
    case.visible_images = list(images)
    return case


class CaseDetailApi(ClinicalApi):
    class InputSerializer(serializers.Serializer):
        body_site = serializers.ChoiceField(choices=BodySite.choices, required=False)
        clinical_notes = serializers.CharField(required=False, allow_blank=True, max_length=10000)

        class Meta:
            ref_name = "CaseUpdateInput"

    @extend_schema(responses=CaseDetailSerializer)
    def get(self, request, public_id):
        case = _with_images(selectors.case_get(user=request.user, public_id=public_id), request.user)
        return Response(CaseDetailSerializer(case, context={"request": request}).data)

    @extend_schema(request=InputSerializer, responses=CaseDetailSerializer)
    def patch(self, request, public_id):
        case = selectors.case_get(user=request.user, public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = _with_images(services.case_update(case=case, user=request.user, **serializer.validated_data), request.user)
        return Response(CaseDetailSerializer(case, context={"request": request}).data)


class CaseArchiveApi(ClinicalApi):
    @extend_schema(operation_id="cases_archive", request=ArchiveInputSerializer, responses=CaseSerializer)
    def post(self, request, public_id):
        case = selectors.case_get(user=request.user, public_id=public_id)
        serializer = ArchiveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = services.case_archive(case=case, user=request.user, **serializer.validated_data)
        return Response(CaseSerializer(case, context={"request": request}).data)


# --- images -----------------------------------------------------------------


class CaseImagesApi(ClinicalListApi):
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = LesionImageSerializer

    class InputSerializer(serializers.Serializer):
        images = serializers.ListField(
            child=serializers.FileField(),
            required=False,
            help_text="One or several JPEG or PNG files (the field may repeat). A single file may also be sent as `image`.",
        )
        image = serializers.FileField(required=False)

        class Meta:
            ref_name = "ImageUploadInput"

    class OutputSerializer(serializers.Serializer):
        images = LesionImageSerializer(many=True)
        warnings = serializers.ListField(
            child=serializers.CharField(),
            help_text="Stored, but worth a look: e.g. a file already stored for another patient of the clinic.",
        )

        class Meta:
            ref_name = "ImageUploadResult"

    def get_queryset(self):
        return LesionImage.objects.visible_to(self.request.user).select_related("case", "uploaded_by")

    @extend_schema(operation_id="cases_images_list", responses=LesionImageSerializer(many=True))
    def get(self, request, public_id):
        case = selectors.case_get(user=request.user, public_id=public_id)
        return self.list_response(self.get_queryset().filter(case=case), LesionImageSerializer)

    @extend_schema(
        operation_id="cases_images_upload",
        request={"multipart/form-data": InputSerializer},
        responses={
            201: OutputSerializer,
            415: OpenApiResponse(description="The body is not multipart/form-data (for example JSON): images "
                                             "travel as files in the `images` field; nothing stored."),
            503: OpenApiResponse(description="Busy with other large images: nothing stored; send the same "
                                             "upload again after Retry-After seconds."),
        },
        description=(
            "Upload images to the case. All or nothing: if any file is refused (not a JPEG or PNG, damaged, "
            "too large, too small, a duplicate), nothing is stored and the answer names each file and why."
        ),
    )
    def post(self, request, public_id):
        case = selectors.case_get(user=request.user, public_id=public_id)
        files = request.FILES.getlist("images") + request.FILES.getlist("image")
        stored = services.images_upload(case=case, files=files, uploaded_by=request.user)
        warnings = [image.duplicate_warning for image in stored if image.duplicate_warning]
        data = self.OutputSerializer({"images": stored, "warnings": warnings}, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


class ImageDetailApi(ClinicalApi):
    @extend_schema(responses=LesionImageSerializer)
    def get(self, request, public_id):
        image = selectors.image_get(user=request.user, public_id=public_id)
        return Response(LesionImageSerializer(image, context={"request": request}).data)


IMAGE_BYTES_RESPONSES = {
    (200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY, description="The stored, metadata-free image."),
    (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="The stored, metadata-free image."),
}


class ImageContentApi(ImageBytesApi):

    @extend_schema(responses=IMAGE_BYTES_RESPONSES)
    def get(self, request, public_id):
        image = selectors.image_get(user=request.user, public_id=public_id)
        extension = image.image.name.rsplit(".", 1)[-1]
        return image_response(image.image, image.content_type, f"{image.public_id}.{extension}")


class ImageThumbnailApi(ImageBytesApi):

    @extend_schema(responses={(200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY, description="JPEG thumbnail.")})
    def get(self, request, public_id):
        image = selectors.image_get(user=request.user, public_id=public_id)
        return image_response(image.thumbnail, "image/jpeg", f"{image.public_id}-thumbnail.jpg")
