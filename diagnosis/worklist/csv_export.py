"""The worklist as CSV, for a clinic's own follow-up. As the cases' export (diagnosis.reports.csv_export): records
are named by their pseudonymous public ids, never by name, record number or free text; the clinic finds them on the
platform."""

import csv

from django.utils import timezone

from ..reports.csv_export import _cell, _Echo

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
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for item in items:
        yield writer.writerow([_cell(value) for value in _row(item, today)])
