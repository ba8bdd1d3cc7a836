"""The case report as FHIR R4 (a Bundle of type collection), for the hospital record.

The DiagnosticReport leads; its results are Observations (the histology, the dermatologist's decision and plan,
the AI's opinion with every class probability, its flags and the operating point that set them), its media the
images and their heat-maps (Media whose attachment points at the access-checked API URL: bytes are never
inlined), its presentedForm the PDF. The Patient (its record number under the clinic's identifier system), the
reviewing dermatologist as a Practitioner (full name), and a Device per model version (name, version, SHA-256 and
the card's operating points) are entries that the others reference by `urn:uuid:`. Diagnoses, plans and body
sites are coded in SNOMED CT where a concept fits, beside the platform's own codes (reports.snomed). Written to R4 (4.0.1); every resource used here is unchanged in R4B, whose models validate it in
tests (fhir.resources.R4B).

Ids are the platform's public ids, or UUIDs derived from them, so that exporting a case twice gives the same ids.
"""

import uuid

from django.urls import reverse
from django.utils import timezone

from diagnosis.models.prediction import Flag
from diagnosis.not_assessable import reason_text
from diagnosis.reports.content import CaseReport, person_name
from diagnosis.reports.snomed import body_site_concept, diagnosis_concept, plan_concept

CASE_ID_SYSTEM = "urn:dermplatform:case"
LOINC = "http://loinc.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
REPORT_CATEGORY = "http://terminology.hl7.org/CodeSystem/v2-0074"
GENDER = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}


def _instant(value) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def _derived_id(case, kind: str) -> str:
    return str(uuid.uuid5(case.public_id, kind))


def _ref(resource: dict) -> dict:
    return {"reference": f"urn:uuid:{resource['id']}"}


def _dx(code: str) -> dict:
    return diagnosis_concept(code)


def _text(text: str) -> dict:
    return {"text": text}


def _patient(report: CaseReport) -> dict:
    patient = report.patient
    return {
        "resourceType": "Patient",
        "id": str(patient.public_id),
        "identifier": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
                        "system": report.clinic.record_number_system,
                        "value": patient.medical_record_number, "assigner": {"display": str(report.clinic)}}],
        "name": [{"family": patient.last_name, "given": [patient.first_name]}],
        "gender": GENDER.get(patient.sex, "unknown"),
        "birthDate": patient.date_of_birth.isoformat(),
        "managingOrganization": {"display": str(report.clinic)},
    }


def _practitioner(user) -> dict:
    """The reviewing dermatologist by full name; the id is derived from the account, never its user name."""
    name = {"text": person_name(user)}
    if user.last_name:
        name["family"] = user.last_name
    if user.first_name:
        name["given"] = [user.first_name]
    return {
        "resourceType": "Practitioner",
        "id": str(uuid.uuid5(uuid.NAMESPACE_OID, f"dermplatform-user-{user.pk}")),
        "active": user.is_active,
        "name": [name],
    }


_FLAG_THRESHOLDS = (("mel", "Melanoma flag threshold on P(melanoma)"),
                    ("malignant", "Malignancy flag threshold on P(akiec + bcc + melanoma)"))


def _device(version) -> dict:
    """The model version: its name, registered version and file hash, and the card's operating points."""
    points = (version.card or {}).get("operating_points") or {}
    properties = []
    for key, label in _FLAG_THRESHOLDS:
        threshold = (points.get(key) or {}).get("threshold") if isinstance(points.get(key), dict) else None
        if isinstance(threshold, (int, float)):
            properties.append({"type": _text(f"{label} (model card)"),
                               "valueQuantity": [{"value": round(threshold, 6), "unit": "probability"}]})
    return {
        "resourceType": "Device",
        "id": str(uuid.uuid5(uuid.NAMESPACE_OID, f"dermplatform-model-{version.sha256}")),
        "deviceName": [{"name": version.name, "type": "model-name"}],
        "version": [
            {"type": _text("Model version"), "value": version.name},
            {"type": _text("SHA-256 of the model file"), "value": version.sha256},
        ],
        "type": _text("AI dermoscopy classifier (decision support)"),
        "property": properties or None,
    }


def _observation(report: CaseReport, kind: str, patient: dict, **fields) -> dict:
    return {
        "resourceType": "Observation",
        "id": _derived_id(report.case, kind),
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "exam" if kind != "histology" else "laboratory"}]}],
        "subject": _ref(patient),
        "bodySite": body_site_concept(report.case.body_site),
        **fields,
    }


def _histology(report: CaseReport, patient: dict) -> dict | None:
    histology = report.histology
    if histology is None:
        return None
    return _observation(
        report, "histology", patient,
        code={"coding": [{"system": LOINC, "code": "22637-3", "display": "Pathology report final diagnosis Narrative"}],
              "text": "Histopathology diagnosis"},
        identifier=[{"value": histology.report_reference}],
        effectiveDateTime=histology.reported_on.isoformat(),
        issued=_instant(histology.created_at),
        valueCodeableConcept=_dx(histology.diagnosis),
    )


def _decision(report: CaseReport, patient: dict, practitioner: dict | None) -> dict | None:
    review = report.review
    if review is None:
        return None
    components = []
    if review.plan:
        components.append({"code": _text("Management plan"), "valueCodeableConcept": plan_concept(review.plan, review.plan_text)})
    if review.follow_up_months:
        components.append({
            "code": _text("Follow-up interval"),
            "valueQuantity": {"value": review.follow_up_months, "unit": "month", "system": "http://unitsofmeasure.org", "code": "mo"},
        })
    if review.is_downgrade:
        # A decision that went against a malignant or flagged opinion (diagnosis.review.rules), with what it went against.
        components.append({"code": _text("Downgrade"), "valueString": review.downgrade_sources})
    notes = [f"{review.get_decision_display()}."]
    if review.is_downgrade:
        notes.append(review.downgrade_text)
    if review.notes:
        notes.append(review.notes)
    return _observation(
        report, "decision", patient,
        code=_text("Dermatologist's diagnosis"),
        effectiveDateTime=_instant(review.created_at),
        performer=[_ref(practitioner) | {"display": person_name(review.reviewer)}],
        valueCodeableConcept=_dx(review.diagnosis),
        component=components or None,
        note=[{"text": text} for text in notes],
    )


def _ai(report: CaseReport, patient: dict, devices: list[dict]) -> dict | None:
    summary = report.summary
    if summary is None:
        return None
    components = [
        {"code": _dx(code) | {"text": f"P({code})"}, "valueQuantity": {"value": round(p, 6), "unit": "probability"}}
        for code, p in summary["probabilities"]
    ]
    for key, label in (("mel", "Melanoma flag"), ("malignant", "Malignancy flag")):
        if summary["flags"][key] is not None:
            components.append({"code": _text(label), "valueBoolean": bool(summary["flags"][key])})
    # The operating point applied (the card's, or the clinic's after a local validation): the thresholds of the
    # assessed images, and in words how they were chosen.
    assessed = [p for p in summary["predictions"] if p.assessable]
    for key, label in _FLAG_THRESHOLDS:
        thresholds = {getattr(p, f"{key}_threshold") for p in assessed} - {None}
        if len(thresholds) == 1:
            components.append({"code": _text(label), "valueQuantity": {"value": round(thresholds.pop(), 6), "unit": "probability"}})
    observation = _observation(
        report, "ai", patient,
        code=_text("AI second opinion on dermoscopic images"),
        method=_text(f"Operating point: {summary['operating_point']}") if summary["operating_point"] else None,
        effectiveDateTime=_instant(max(p.created_at for p in summary["predictions"])),
        interpretation=[{"coding": [{"system": "urn:dermplatform:ai-flag", "code": summary["flag"],
                                     "display": Flag.LABEL[summary["flag"]]}], "text": summary["flag_text"]}],
        component=components or None,
        note=[{"text": text} for text in (summary["operating_point"],) if text] + [
            {"text": f"An image not assessable by the AI: {reason_text(p.not_assessable_reason)}."}
            for p in summary["not_assessable"]
        ],
    )
    if summary["top_class"]:
        observation["valueCodeableConcept"] = _dx(summary["top_class"])
    else:
        observation["dataAbsentReason"] = _text("The AI could assess no image of this case.")
    if devices:
        observation["device"] = _ref(devices[0])  # one version in practice; all are entries of the bundle
    return observation


def _media(report: CaseReport, patient: dict, absolute) -> list[dict]:
    media = []
    for number, entry in enumerate(report.images, start=1):
        image = entry.image
        media.append({
            "resourceType": "Media",
            "id": str(image.public_id),
            "status": "completed",
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/media-type", "code": "image"}]},
            "modality": _text("Dermoscopy"),
            "subject": _ref(patient),
            "createdDateTime": _instant(image.uploaded_at),
            "width": image.width,
            "height": image.height,
            "content": {"contentType": image.content_type, "url": absolute(reverse("patients_api:image_content", args=[image.public_id])),
                        "size": image.size_bytes, "title": f"Dermoscopic image {number}"},
        })
        prediction = entry.prediction
        if prediction is not None and prediction.assessable and prediction.heatmap:
            media.append({
                "resourceType": "Media",
                "id": str(prediction.public_id),
                "status": "completed",
                "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/media-type", "code": "image"}]},
                "modality": _text("AI heat-map (Grad-CAM) over a dermoscopic image"),
                "subject": _ref(patient),
                "createdDateTime": _instant(prediction.created_at),
                "content": {"contentType": "image/png", "title": f"Heat-map of image {number}",
                            "url": absolute(reverse("diagnosis_api:prediction_heatmap", args=[prediction.public_id]))},
            })
    return media


def case_report_bundle(report: CaseReport, *, absolute) -> dict:
    """The bundle as JSON-ready data. `absolute(path)` makes the URLs of the images and the PDF absolute."""
    case = report.case
    patient = _patient(report)
    devices = [_device(version) for version in report.model_versions]
    practitioner = _practitioner(report.review.reviewer) if report.review is not None else None
    # The headline order: histology, then the decision, then the AI.
    observations = [o for o in (_histology(report, patient), _decision(report, patient, practitioner),
                                _ai(report, patient, devices)) if o]
    media = _media(report, patient, absolute)
    headline = report.headline
    final = report.histology is not None or report.review is not None
    diagnostic_report = {
        "resourceType": "DiagnosticReport",
        "id": str(case.public_id),
        "identifier": [{"system": CASE_ID_SYSTEM, "value": str(case.public_id)}],
        "status": "final" if final else ("preliminary" if report.summary else "registered"),
        "category": [{"coding": [{"system": REPORT_CATEGORY, "code": "OTH", "display": "Other"}], "text": "Dermoscopy"}],
        "code": _text("Dermoscopy case report: AI second opinion and dermatologist's decision"),
        "subject": _ref(patient),
        "effectiveDateTime": _instant(case.created_at),
        "issued": _instant(report.generated_at),
        "performer": [{"display": str(report.clinic)}],
        "result": [_ref(o) for o in observations] or None,
        "media": [{"link": _ref(m), "comment": m["content"]["title"]} for m in media] or None,
        "conclusion": " ".join(t for t in (headline["text"], headline["detail"], f"Plan: {headline['plan']}" if headline["plan"] else "") if t)
        if headline else None,
        "conclusionCode": [_dx(headline["diagnosis"])] if headline and headline["diagnosis"] else None,
        "presentedForm": [{"contentType": "application/pdf", "title": "Case report (PDF)",
                           "url": absolute(reverse("reports_api:case_pdf", args=[case.public_id]))}],
    }
    resources = [diagnostic_report, patient, *([practitioner] if practitioner else []), *observations, *media, *devices]
    return {
        "resourceType": "Bundle",
        "id": _derived_id(case, f"bundle-{report.generated_at.isoformat()}"),
        "type": "collection",
        "timestamp": _instant(report.generated_at),
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": _drop_empty(r)} for r in resources],
    }


def _drop_empty(value):
    """FHIR forbids empty elements: drop None and empty lists left by optional parts."""
    if isinstance(value, dict):
        return {k: _drop_empty(v) for k, v in value.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_drop_empty(v) for v in value]
    return value
