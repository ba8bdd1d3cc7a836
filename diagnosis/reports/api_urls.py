from django.urls import path

from diagnosis.reports import api

app_name = "reports_api"
urlpatterns = [
    path("cases/<uuid:public_id>/report.pdf", api.CasePdfApi.as_view(), name="case_pdf"),
    path("cases/<uuid:public_id>/fhir/", api.CaseFhirApi.as_view(), name="case_fhir"),
    path("reports/cases.csv", api.ClinicCasesCsvApi.as_view(), name="clinic_cases_csv"),
    path("reports/performance/", api.PerformanceApi.as_view(), name="performance"),
]
