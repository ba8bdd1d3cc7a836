"""Output serializers shared by several endpoints. Public ids only: database ids never leave the server.

Input serializers live inside the views that use them.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from patients.models import Case, LesionImage, Patient


class PatientSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="patients_api:patient_detail", lookup_field="public_id", lookup_url_kwarg="public_id"
    )
    is_archived = serializers.BooleanField(read_only=True)

    class Meta:
        model = Patient
        fields = [
            "public_id",
            "url",
            "medical_record_number",
            "first_name",
            "last_name",
            "date_of_birth",
            "sex",
            "created_at",
            "updated_at",
            "is_archived",
            "archived_at",
            "archive_reason",
        ]
        read_only_fields = fields


class LesionImageSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="patients_api:image_detail", lookup_field="public_id", lookup_url_kwarg="public_id"
    )
    case = serializers.UUIDField(source="case.public_id", read_only=True)
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)
    content_url = serializers.HyperlinkedIdentityField(
        view_name="patients_api:image_content", lookup_field="public_id", lookup_url_kwarg="public_id"
    )
    thumbnail_url = serializers.HyperlinkedIdentityField(
        view_name="patients_api:image_thumbnail", lookup_field="public_id", lookup_url_kwarg="public_id"
    )

    class Meta:
        model = LesionImage
        fields = [
            "public_id",
            "url",
            "case",
            "content_type",
            "width",
            "height",
            "size_bytes",
            "sha256",
            "original_filename",
            "uploaded_by",
            "uploaded_at",
            "content_url",
            "thumbnail_url",
        ]
        read_only_fields = fields


class CaseSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="patients_api:case_detail", lookup_field="public_id", lookup_url_kwarg="public_id"
    )
    patient = serializers.UUIDField(source="patient.public_id", read_only=True)
    lesion = serializers.UUIDField(source="lesion.public_id", read_only=True, help_text="The lesion this case is a visit of.")
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    images_url = serializers.HyperlinkedIdentityField(
        view_name="patients_api:case_images", lookup_field="public_id", lookup_url_kwarg="public_id"
    )
    is_archived = serializers.BooleanField(read_only=True)

    class Meta:
        model = Case
        fields = [
            "public_id",
            "url",
            "patient",
            "lesion",
            "body_site",
            "clinical_notes",
            "status",
            "created_by",
            "created_at",
            "updated_at",
            "is_archived",
            "archived_at",
            "archive_reason",
            "images_url",
        ]
        read_only_fields = fields


# What other apps add to the case detail without patients importing them: diagnosis registers "headline"
# (a callable (case, serializer context) -> dict or None) when it is ready.
case_detail_providers: dict = {}


class CaseDetailSerializer(CaseSerializer):
    # Set by the view from LesionImage.objects.visible_to(user), never the raw reverse manager.
    images = LesionImageSerializer(many=True, read_only=True, source="visible_images")
    headline = serializers.SerializerMethodField(
        help_text=(
            "What the case leads with, in order: the histology when entered, else the dermatologist's current "
            "decision (with its plan), else the AI's opinion (with its flag); null before any of them."
        )
    )

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "headline", "images"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_headline(self, case: Case) -> dict | None:
        provider = case_detail_providers.get("headline")
        return provider(case, self.context) if provider else None

