"""The clinic's cases, decisions and outcomes as CSV, for audit.

What a row carries, and what it leaves out: the case, lesion and patient are named by their pseudonymous public
ids (the clinic finds the record from them on the platform; anyone else learns nothing), the visit by its date.
No name, record number, date of birth, sex, clinical or review notes, downgrade reason or laboratory reference:
free text can name people, and none of it is needed to check what the AI said against what was decided and
found. The reviewer's user name stays: an audit asks who decided.
"""

from django.utils import timezone

from dermplatform.csv_stream import csv_lines

from diagnosis.reports.case_facts import case_facts

COLUMNS = [
    "case_id", "lesion_id", "patient_id", "clinic", "visit_date", "body_site", "status", "archived", "images",
    "ai_model", "ai_flag", "ai_top_class", "ai_p_mel", "ai_malignancy_risk",
    "decision", "dermatologist_diagnosis", "plan", "follow_up_months", "downgrade", "downgraded_from",
    "downgrade_of", "reviewer", "reviewed_on",
    "histology_diagnosis", "histology_date", "ai_agrees_with_dermatologist", "ai_agrees_with_histology",
]

def _yes_no(value) -> str:
    return "" if value is None else ("yes" if value else "no")


def _row(facts) -> list:
    case, review, histology, summary = facts.case, facts.review, facts.histology, facts.summary
    top = (summary or {}).get("top_class") or ""
    p_mel = dict((summary or {}).get("probabilities") or []).get("mel")
    return [
        case.public_id, case.lesion.public_id, case.patient.public_id, case.patient.clinic.name,
        f"{timezone.localtime(case.created_at):%Y-%m-%d}", case.body_site, case.status, _yes_no(case.is_archived),
        facts.image_count,
        "; ".join(summary["model_versions"]) if summary else "",
        summary["flag"] if summary else "", top,
        "" if p_mel is None else f"{p_mel:.4f}",
        "" if not summary or summary["malignancy_risk"] is None else f"{summary['malignancy_risk']:.4f}",
        review.decision if review else "", review.diagnosis if review else "", review.plan if review else "",
        (review.follow_up_months or "") if review else "", _yes_no(review.is_downgrade) if review else "",
        review.downgraded_from if review else "", review.downgrade_sources if review else "",
        review.reviewer.get_username() if review else "",
        f"{timezone.localtime(review.created_at):%Y-%m-%d}" if review else "",
        histology.diagnosis if histology else "", f"{histology.reported_on:%Y-%m-%d}" if histology else "",
        _yes_no(top == review.diagnosis) if review and top else "",
        _yes_no(top == histology.diagnosis) if histology and top else "",
    ]


def clinic_cases_csv(cases):
    """Yield the CSV text line by line (a streaming response): the header, then one line per case."""
    return csv_lines(COLUMNS, (_row(facts) for facts in case_facts(cases)))
