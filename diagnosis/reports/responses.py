from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from dermplatform.api.downloads import private_download

from diagnosis.reports import csv_export
from diagnosis.reports.content import CaseReport
from diagnosis.reports.pdf import case_report_pdf


def case_pdf_response(report: CaseReport) -> HttpResponse:
    """The case's PDF as a download. Patient data: no browser or proxy keeps a copy."""
    response = HttpResponse(case_report_pdf(report), content_type="application/pdf")
    return private_download(response, f"case-{report.case.public_id}.pdf")


def clinic_cases_csv_response(cases) -> StreamingHttpResponse:
    """The cases' CSV export as a download, streamed (a clinic's whole history)."""
    response = StreamingHttpResponse(csv_export.clinic_cases_csv(cases), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return private_download(response, f"cases-{stamp}.csv")
