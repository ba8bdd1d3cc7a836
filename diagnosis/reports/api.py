"""Reports through the API: the case's PDF and FHIR R4 bundle. Staff and dermatologists of the case's clinic
(patients.api's ClinicalApiPermission), another clinic's case is not found (404), admins 403, anonymous 401."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer

from patients import selectors as patient_selectors
from patients.api.views import ClinicalApi

from rest_framework.response import Response

from .content import case_report
from .fhir import case_report_bundle
from .responses import case_pdf_response


class PdfRenderer(BaseRenderer):
    """Lets clients ask for application/pdf; the view answers with the document itself."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data  # never reached: the view returns the bytes itself, and errors are rendered as JSON


class CasePdfApi(ClinicalApi):
    renderer_classes = [JSONRenderer, PdfRenderer]

    def handle_exception(self, exc):
        # Errors (401, 403, 404) are JSON even when the client asked for a PDF.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    @extend_schema(
        operation_id="cases_report_pdf",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The case report.")},
        description=(
            "The case report as a PDF (attachment): clinic, patient, lesion and visit, the headline (histology, "
            "else the dermatologist's decision and plan, else the AI's flag), histology, decision, the AI's opinion "
            "with its model version, and each image with its heat-map. Staff and dermatologists of the case's clinic."
        ),
    )
    def get(self, request, public_id):
        case = patient_selectors.case_get(user=request.user, public_id=public_id)
        return case_pdf_response(case_report(case=case, user=request.user))


class FhirJsonRenderer(JSONRenderer):
    media_type = "application/fhir+json"
    format = "fhir"


FHIR_BUNDLE = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description=(
        "A FHIR R4 Bundle (type collection): the DiagnosticReport (conclusion: the headline), its "
        "Observations (histology, dermatologist's diagnosis and plan, AI opinion with every class "
        "probability and its flags), the Patient, a Device per model version, and a Media per image "
        "and heat-map whose attachment URL is the access-checked API address of its bytes."
    ),
)


class CaseFhirApi(ClinicalApi):
    renderer_classes = [FhirJsonRenderer, JSONRenderer]

    @extend_schema(
        operation_id="cases_report_fhir",
        # Both renderers answer: application/json when the client asks for it (found by schemathesis).
        responses={(200, "application/fhir+json"): FHIR_BUNDLE, (200, "application/json"): FHIR_BUNDLE},
        description="The case report as FHIR R4. Staff and dermatologists of the case's clinic.",
    )
    def get(self, request, public_id):
        case = patient_selectors.case_get(user=request.user, public_id=public_id)
        bundle = case_report_bundle(case_report(case=case, user=request.user), absolute=request.build_absolute_uri)
        return Response(bundle)
