"""Which routes read or write patient data, and the audit action of each method.

AuditMiddleware records one event for every request to these routes, pages and API alike: the object is the
public id in the URL, the outcome follows the answer (403/404: denied). Writes are recorded
by the services that make them (with the new object's id and the changed field names); for a write route the
middleware only records the attempts that wrote nothing (denied, or refused as invalid).
tests/unit/audit checks that every route with a public id in its URL is listed here.
"""

from .models import Action as A

READ_METHODS = frozenset({"GET", "HEAD"})
# Reads sent by POST so that their terms stay out of the address (searches): recorded as reads.
READ_BY_POST = frozenset({"patients_api:patient_search"})

# route name -> {method: (action, type of the object named by the URL's public id)}
AUDITED_ROUTES: dict[str, dict[str, tuple[str, str]]] = {
    # pages
    "patients:list": {"GET": (A.PATIENT_LIST, "")},
    "patients:create": {"POST": (A.PATIENT_CREATE, "")},
    "patients:detail": {"GET": (A.PATIENT_VIEW, "patient")},
    "patients:update": {"GET": (A.PATIENT_VIEW, "patient"), "POST": (A.PATIENT_UPDATE, "patient")},
    "patients:archive": {"POST": (A.PATIENT_ARCHIVE, "patient")},
    "patients:case_create": {"GET": (A.PATIENT_VIEW, "patient"), "POST": (A.CASE_CREATE, "patient")},
    "patients:case_detail": {"GET": (A.CASE_VIEW, "case")},
    "patients:case_update": {"GET": (A.CASE_VIEW, "case"), "POST": (A.CASE_UPDATE, "case")},
    "patients:case_archive": {"POST": (A.CASE_ARCHIVE, "case")},
    "patients:image_upload": {"POST": (A.IMAGE_UPLOAD, "case")},
    "patients:lesion_detail": {"GET": (A.LESION_VIEW, "lesion")},
    "patients:image_content": {"GET": (A.IMAGE_CONTENT, "image")},
    "patients:image_thumbnail": {"GET": (A.IMAGE_THUMBNAIL, "image")},
    "diagnosis:queue": {"GET": (A.QUEUE_VIEW, "")},
    "diagnosis:my_reviews": {"GET": (A.REVIEW_LIST, "")},
    "attention:list": {"GET": (A.CASE_LIST, "")},
    "diagnosis:reviewed": {"GET": (A.REVIEW_LIST, "")},
    "diagnosis:case_review": {"GET": (A.CASE_VIEW, "case"), "POST": (A.REVIEW_CREATE, "case")},
    "diagnosis:claim_take_over": {"POST": (A.CLAIM_TAKE_OVER, "case")},
    "diagnosis:claim_release": {"POST": (A.CLAIM_RELEASE, "case")},
    "diagnosis:retry": {"POST": (A.AI_RETRY, "case")},
    "diagnosis:warning_check": {"POST": (A.WARNING_CHECK, "case")},
    "diagnosis:histology": {"GET": (A.HISTOLOGY_LIST, "case"), "POST": (A.HISTOLOGY_CREATE, "case")},
    "diagnosis:heatmap": {"GET": (A.HEATMAP_VIEW, "prediction")},
    "diagnosis:patient_access": {"GET": (A.PATIENT_ACCESS_HISTORY, "patient")},
    "reports:case_pdf": {"GET": (A.REPORT_PDF, "case")},
    "reports:clinic_cases_csv": {"GET": (A.CASES_EXPORT, "")},
    "reports:performance": {"GET": (A.PERFORMANCE_VIEW, "")},
    "worklist:list": {"GET": (A.WORKLIST_VIEW, "")},
    "worklist:csv": {"GET": (A.WORKLIST_EXPORT, "")},
    "worklist:done": {"POST": (A.WORKLIST_DONE, "case")},
    "worklist:reopen": {"POST": (A.WORKLIST_REOPEN, "case")},
    "validation:list": {"GET": (A.VALIDATION_LIST, "")},
    "validation:create": {"POST": (A.VALIDATION_CREATE, "")},
    "validation:run": {"GET": (A.VALIDATION_VIEW, "validationrun")},
    "validation:resume": {"POST": (A.VALIDATION_CREATE, "validationrun")},
    "validation:delete": {"POST": (A.VALIDATION_DELETE, "validationrun")},
    "validation:adopt": {"POST": (A.THRESHOLDS_ADOPT, "validationrun")},
    "validation:restore": {"POST": (A.THRESHOLDS_RESTORE, "validationrun")},
    # API
    "patients_api:patient_list": {"GET": (A.PATIENT_LIST, ""), "POST": (A.PATIENT_CREATE, "")},
    "patients_api:patient_search": {"POST": (A.PATIENT_LIST, "")},
    "patients_api:patient_detail": {"GET": (A.PATIENT_VIEW, "patient"), "PATCH": (A.PATIENT_UPDATE, "patient")},
    "patients_api:patient_archive": {"POST": (A.PATIENT_ARCHIVE, "patient")},
    "patients_api:case_list": {"GET": (A.CASE_LIST, ""), "POST": (A.CASE_CREATE, "")},
    "patients_api:case_detail": {"GET": (A.CASE_VIEW, "case"), "PATCH": (A.CASE_UPDATE, "case")},
    "patients_api:case_archive": {"POST": (A.CASE_ARCHIVE, "case")},
    "patients_api:case_images": {"GET": (A.IMAGE_LIST, "case"), "POST": (A.IMAGE_UPLOAD, "case")},
    "patients_api:image_detail": {"GET": (A.IMAGE_VIEW, "image")},
    "patients_api:image_content": {"GET": (A.IMAGE_CONTENT, "image")},
    "patients_api:image_thumbnail": {"GET": (A.IMAGE_THUMBNAIL, "image")},
    "diagnosis_api:case_ai": {"GET": (A.PREDICTION_VIEW, "case")},
    "diagnosis_api:case_reviews": {"GET": (A.REVIEW_LIST, "case"), "POST": (A.REVIEW_CREATE, "case")},
    "diagnosis_api:case_retry_ai": {"POST": (A.AI_RETRY, "case")},
    "diagnosis_api:case_warnings": {"GET": (A.CASE_VIEW, "case"), "POST": (A.WARNING_CHECK, "case")},
    "diagnosis_api:case_histology": {"GET": (A.HISTOLOGY_LIST, "case"), "POST": (A.HISTOLOGY_CREATE, "case")},
    "diagnosis_api:prediction_heatmap": {"GET": (A.HEATMAP_VIEW, "prediction")},
    "diagnosis_api:review_queue": {"GET": (A.QUEUE_VIEW, "")},
    "diagnosis_api:reviews_made": {"GET": (A.REVIEW_LIST, "")},
    "worklist_api:list": {"GET": (A.WORKLIST_VIEW, "")},
    "worklist_api:done": {"POST": (A.WORKLIST_DONE, "case"), "DELETE": (A.WORKLIST_REOPEN, "case")},
    "reports_api:case_pdf": {"GET": (A.REPORT_PDF, "case")},
    "reports_api:case_fhir": {"GET": (A.REPORT_FHIR, "case")},
    "reports_api:clinic_cases_csv": {"GET": (A.CASES_EXPORT, "")},
    "reports_api:performance": {"GET": (A.PERFORMANCE_VIEW, "")},
    "validation_api:thresholds_adopt": {"POST": (A.THRESHOLDS_ADOPT, "validationrun")},
    "diagnosis_api:case_claim": {
        "GET": (A.CASE_VIEW, "case"), "POST": (A.CLAIM_TAKE, "case"), "DELETE": (A.CLAIM_RELEASE, "case"),
    },
}


def is_read(route_name: str | None, method: str) -> bool:
    return method in READ_METHODS or (method == "POST" and route_name in READ_BY_POST)


def audited_action(route_name: str | None, method: str) -> tuple[str, str] | None:
    methods = AUDITED_ROUTES.get(route_name or "")
    if methods is None:
        return None
    return methods.get("GET" if method == "HEAD" else method)
