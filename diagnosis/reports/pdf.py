"""The case report as a PDF (reportlab's platypus), for the referring doctor and the paper record.

It leads with the case's headline (histology, else the dermatologist's decision, else the AI's flag), then
the patient and the visit, the histology, the decision and plan, the AI's opinion with its model version, and
each image beside its heat-map. Images are scaled down before embedding: an original can be 50 megapixels.
"""

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from PIL import Image as PILImage
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from diagnosis.models.review import DIAGNOSES
from diagnosis.not_assessable import reason_text
from diagnosis.reports.content import CaseReport, person_name

NAMES = dict(DIAGNOSES)
IMAGE_BOX = 80 * mm  # each picture fits this square; an image and its heat-map sit side by side
EMBED_PIXELS = 900  # longest side of an embedded picture: sharp in print, small in the file
DISCLAIMER = (
    "The AI opinion is decision support from a model trained on HAM10000 dermoscopy images; it does not replace "
    "the dermatologist's diagnosis. A case not flagged by the AI is not ruled out."
)


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z") if value else ""


def _percent(value) -> str:
    return f"{value * 100:.1f}%"


def _picture(field_file) -> Image | None:
    """The stored picture, scaled to EMBED_PIXELS as a JPEG, sized to fit IMAGE_BOX."""
    if not field_file:
        return None
    with field_file.open("rb") as handle:
        picture = PILImage.open(handle)
        picture.draft("RGB", (EMBED_PIXELS, EMBED_PIXELS))  # a JPEG decodes at 1/2 to 1/8 scale: 50 MP in ms
        picture.load()
    picture = picture.convert("RGB")
    picture.thumbnail((EMBED_PIXELS, EMBED_PIXELS))
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=85)
    out.seek(0)
    width, height = picture.size
    scale = IMAGE_BOX / max(width, height)
    return Image(out, width=width * scale, height=height * scale)


class _Writer:
    def __init__(self):
        styles = getSampleStyleSheet()
        self.title, self.h2, self.body = styles["Title"], styles["Heading2"], styles["BodyText"]
        self.lead = styles["Heading3"]
        self.small = styles["Italic"]
        self.story = []

    def para(self, text: str, style=None):
        self.story.append(Paragraph(escape(text), style or self.body))

    def heading(self, text: str):
        self.story.append(Paragraph(escape(text), self.h2))

    def facts(self, rows):
        rows = [(Paragraph(f"<b>{escape(k)}</b>", self.body), Paragraph(escape(str(v)), self.body)) for k, v in rows if v not in (None, "")]
        if not rows:
            return
        table = Table(rows, colWidths=[45 * mm, 125 * mm], hAlign="LEFT")
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
        self.story.append(table)


def _headline(w: _Writer, report: CaseReport):
    headline = report.headline
    if headline is None:
        w.para("No result yet: the case awaits its images, the AI or the dermatologist.", w.lead)
        return
    w.para(headline["text"], w.lead)
    if headline["detail"]:
        w.para(headline["detail"])
    if headline["plan"]:
        w.para(f"Plan: {headline['plan']}")


def _patient_and_visit(w: _Writer, report: CaseReport):
    patient, case = report.patient, report.case
    w.heading("Patient")
    w.facts([
        ("Name", patient.full_name),
        ("Medical record number", patient.medical_record_number),
        ("Date of birth", f"{patient.date_of_birth:%Y-%m-%d}"),
        ("Sex", patient.get_sex_display()),
    ])
    w.heading("Lesion and visit")
    w.facts([
        ("Lesion", case.lesion.name),
        ("Body site", case.get_body_site_display()),
        ("Visit", _when(case.created_at)),
        ("Case", str(case.public_id)),
        ("Status", case.get_status_display()),
        ("Clinical notes", case.clinical_notes),
    ])


def _histology(w: _Writer, report: CaseReport):
    histology = report.histology
    if histology is None:
        return
    w.heading("Histopathology")
    w.facts([
        ("Diagnosis", histology.get_diagnosis_display()),
        ("Report date", f"{histology.reported_on:%Y-%m-%d}"),
        ("Report reference", histology.report_reference),
        ("Entered by", f"{histology.entered_by} on {_when(histology.created_at)}"),
    ])


def _decision(w: _Writer, report: CaseReport):
    review = report.review
    w.heading("Dermatologist's decision")
    if review is None:
        w.para("Not reviewed yet.")
        return
    w.facts([
        ("Decision", review.get_decision_display()),
        ("Diagnosis", review.get_diagnosis_display()),
        ("Plan", review.plan_text or "Not recorded"),
        ("Downgrade", review.downgrade_text),
        ("Notes", review.notes),
        ("Dermatologist", f"{person_name(review.reviewer)} on {_when(review.created_at)}"),
    ])


def _ai(w: _Writer, report: CaseReport):
    summary = report.summary
    w.heading("AI second opinion")
    if summary is None:
        w.para("No AI opinion yet.")
        return
    w.para(summary["flag_text"], w.lead)
    rows = [("Operating point", summary["operating_point"])]
    if summary["top_class"]:
        rows += [
            ("Most likely class", f"{NAMES.get(summary['top_class'], summary['top_class'])} ({_percent(summary['confidence'])})"),
            ("Malignancy risk", _percent(summary["malignancy_risk"])),
            ("Probabilities", ", ".join(f"{code} {_percent(p)}" for code, p in summary["probabilities"])),
        ]
    else:
        rows.append(("Diagnosis", "No AI diagnosis: the AI could not assess any image of this case."))
    rows += [("Model", f"{version.name}, version {version.sha256[:12]}") for version in report.model_versions]
    w.facts(rows)


def _images(w: _Writer, report: CaseReport):
    if not report.images:
        return
    heading = Paragraph("Images", w.h2)  # kept with the first image: never alone at the foot of a page
    for number, entry in enumerate(report.images, start=1):
        prediction = entry.prediction
        pictures = [_picture(entry.image.image)]
        if prediction is not None and prediction.assessable and prediction.heatmap:
            pictures.append(_picture(prediction.heatmap))
        if prediction is None:
            caption = "No AI opinion on this image."
        elif not prediction.assessable:
            caption = f"Not assessable by the AI. {reason_text(prediction.not_assessable_reason)}."
        else:
            top = ", ".join(f"{code} {_percent(p)}" for code, p in prediction.top_classes)
            caption = f"AI: {prediction.flag_label}; {top}."
        heat = " Right: the heat-map of what the model looked at (red: high attention)." if len(pictures) > 1 else ""
        row = Table([pictures], hAlign="LEFT", style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
        block = [row, Paragraph(escape(f"Image {number}. {caption}{heat}"), w.small), Spacer(1, 4 * mm)]
        w.story.append(KeepTogether([heading, *block] if number == 1 else block))


def case_report_pdf(report: CaseReport) -> bytes:
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm, bottomMargin=16 * mm,
        title=f"Case report {report.case.public_id}", author=str(report.clinic), subject="Dermoscopy case report",
        creator="DermPlatform",
    )
    w = _Writer()
    w.para(f"{report.clinic}: dermoscopy case report", w.title)
    w.para(f"Generated {_when(report.generated_at)} by {report.generated_by}", w.small)
    _headline(w, report)
    _patient_and_visit(w, report)
    _histology(w, report)
    _decision(w, report)
    _ai(w, report)
    _images(w, report)
    w.story.append(Spacer(1, 4 * mm))
    w.para(DISCLAIMER, w.small)
    document.build(w.story, onFirstPage=_footer, onLaterPages=_footer)
    return out.getvalue()


def _footer(canvas, document):
    canvas.saveState()
    canvas.setFont("Helvetica", 8)
    canvas.setFillColor(colors.grey)
    canvas.drawString(18 * mm, 10 * mm, f"{document.title} · confidential patient information")
    canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"page {canvas.getPageNumber()}")
    canvas.restoreState()
