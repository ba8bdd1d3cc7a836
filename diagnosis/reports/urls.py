from django.urls import path

from diagnosis.reports import views

app_name = "reports"
urlpatterns = [
    path("cases/<uuid:public_id>/report.pdf", views.case_pdf, name="case_pdf"),
    path("reports/cases.csv", views.clinic_cases_csv, name="clinic_cases_csv"),
    path("reports/performance/", views.performance, name="performance"),
]
