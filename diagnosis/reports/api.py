"""Reports through the API: the case's PDF and FHIR R4 bundle (staff and dermatologists of the case's clinic, by
dermplatform.api's ClinicalApiPermission: another clinic's case is not found (404), admins 403, anonymous 401); the
clinic's CSV export and real-world performance (its dermatologists, and admins for any clinic, as on the pages)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from dermplatform.api.renderers import binary_renderer
from dermplatform.api.views import ClinicalApi, validated_query
from diagnosis.reports import selectors as report_selectors
from diagnosis.reports.content import case_report
from diagnosis.reports.fhir import case_report_bundle
from diagnosis.reports.performance import performance_by_version
from diagnosis.reports.responses import case_pdf_response, clinic_cases_csv_response
from diagnosis.reports.serializers import PerformanceSerializer
from diagnosis.review.api.permissions import ClinicReportsApiPermission
from patients import selectors as patient_selectors


# Documents the views make themselves; errors (400, 401, 403, 404) are JSON even when the client asked for one.
PdfRenderer = binary_renderer("application/pdf", "pdf")
CsvRenderer = binary_renderer("text/csv", "csv", charset="utf-8")


class CasePdfApi(ClinicalApi):
    renderer_classes = [JSONRenderer, PdfRenderer]

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


CLINIC_ID_MAX = 2**63 - 1  # the id is compared with a bigint column
SHA256_PATTERN = r"^[0-9a-f]{64}$"


class ClinicReportInput(serializers.Serializer):
    clinic = serializers.IntegerField(required=False, min_value=1, max_value=CLINIC_ID_MAX)

    class Meta:
        ref_name = "ClinicReportInput"


# The parameters carry the serializers' bounds, so the schema allows exactly what the input serializers accept.
CLINIC_PARAMETER = OpenApiParameter(
    "clinic", {"type": "integer", "format": "int64", "minimum": 1, "maximum": CLINIC_ID_MAX}, description="Administrators: one clinic's figures (all clinics without it). For a dermatologist, "
    "another clinic's id leaves nothing: they only ever see their own clinic.",
)


class ClinicReportApi(ClinicalApi):
    permission_classes = [ClinicReportsApiPermission]
    Input = ClinicReportInput

    def report_query(self, request) -> dict:
        return validated_query(request, self.Input)

    def report_cases(self, request, query):
        return report_selectors.report_cases(user=request.user, clinic_id=query.get("clinic"))


class ClinicCasesCsvApi(ClinicReportApi):
    renderer_classes = [JSONRenderer, CsvRenderer]

    @extend_schema(
        operation_id="reports_cases_csv",
        parameters=[CLINIC_PARAMETER],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The export (attachment).")},
        description=(
            "The clinic's cases, decisions and outcomes as CSV, for audit, one line per case: pseudonymous ids of "
            "the case, lesion and patient, visit date, body site, status, the AI's opinion (model, flag, most likely "
            "class, P(melanoma), malignancy risk), the dermatologist's decision and plan, the histology, and whether "
            "the AI agreed with each. No name, record number, birth date, notes or laboratory reference. "
            "The clinic's dermatologists, and administrators (every clinic, or `clinic`)."
        ),
    )
    def get(self, request):
        return clinic_cases_csv_response(self.report_cases(request, self.report_query(request)))


class PerformanceInput(ClinicReportInput):
    model_version = serializers.RegexField(SHA256_PATTERN, required=False, help_text="SHA-256 of the version's model file.")

    class Meta:
        ref_name = "PerformanceInput"


class PerformanceApi(ClinicReportApi):
    Input = PerformanceInput

    @extend_schema(
        operation_id="reports_performance",
        parameters=[
            CLINIC_PARAMETER,
            OpenApiParameter(
                "model_version", str, pattern=SHA256_PATTERN,
                description="Only this model version (SHA-256 of its model file).",
            ),
        ],
        responses=PerformanceSerializer,
        description=(
            "The AI's real-world performance on the clinic's patients, per model version, as on the performance "
            "page: agreement of its most likely class with the dermatologist's decision in force, sensitivity and "
            "specificity of its melanoma flag against histology (each with its 95 % Wilson interval), per class and "
            "per month of visit, and the confusion matrices. Archived cases are left out. The clinic's "
            "dermatologists, and administrators (every clinic, or `clinic`)."
        ),
    )
    def get(self, request):
        query = self.report_query(request)
        figures = performance_by_version(self.report_cases(request, query))
        if "model_version" in query:
            figures = [f for f in figures if f.version.sha256 == query["model_version"]]
        scope = report_selectors.report_scope(user=request.user, clinic_id=query.get("clinic"))
        return Response(PerformanceSerializer({"scope": scope, "versions": figures}).data)
