"""The worklist as CSV, for a clinic's own follow-up. As the cases' export (diagnosis.reports.csv_export; both through dermplatform.csv_stream): records
are named by their pseudonymous public ids, never by name, record number or free text; the clinic finds them on the
platform."""

from django.utils import timezone

from dermplatform.csv_stream import csv_lines

COLUMNS = ["kind", "what", "due", "overdue", "since", "case_id", "lesion_id", "patient_id", "visit_date", "body_site"]


def _row(item, today) -> list:
    case = item.case
    return [
        item.kind, item.text, f"{item.due:%Y-%m-%d}", "yes" if item.is_overdue(today) else "no",
        f"{timezone.localtime(item.since):%Y-%m-%d}", case.public_id, case.lesion.public_id, case.patient.public_id,
        f"{timezone.localtime(case.created_at):%Y-%m-%d}", case.body_site,
    ]


def worklist_csv(items):
    today = timezone.localdate()
    return csv_lines(COLUMNS, (_row(item, today) for item in items))
