"""SNOMED CT codes of what the FHIR report says: diagnoses, management plans and body sites.

Each CodeableConcept carries the SNOMED CT coding where one fits the platform's term, and the platform's own code
beside it (so that a receiving system can map back), with the platform's wording as its text. A term with no
SNOMED CT concept here (a class that groups several disorders, "other", an unknown site) keeps the platform's code
and text only: a wrong concept would be worse than none.

Concept ids are from the SNOMED CT International Edition; displays are their preferred terms.
"""

from diagnosis.models.histology import HISTOLOGY_DIAGNOSES
from diagnosis.models.review import ManagementPlan
from patients.models import BodySite

SNOMED = "http://snomed.info/sct"
DX_SYSTEM = "urn:dermplatform:ham10000-dx"
PLAN_SYSTEM = "urn:dermplatform:management-plan"
SITE_SYSTEM = "urn:dermplatform:body-site"

# HAM10000's classes (and histology's "other"). bkl (seborrhoeic keratosis, solar lentigo, lichen planus-like
# keratosis), df and vasc (angiomas, angiokeratomas, pyogenic granulomas, haemorrhage) group several disorders
# under one class: no single concept says what the class says.
DIAGNOSIS = {
    "akiec": ("201101007", "Actinic keratosis"),  # the class also holds Bowen's disease: its text says so
    "bcc": ("254701007", "Basal cell carcinoma of skin"),
    "mel": ("372244006", "Malignant melanoma"),
    "nv": ("400096001", "Melanocytic nevus"),
}

PLAN = {
    ManagementPlan.FOLLOW_UP: ("390906007", "Follow-up encounter"),
    ManagementPlan.EXCISION: ("65801008", "Excision"),
    ManagementPlan.BIOPSY: ("240977001", "Biopsy of skin"),
    ManagementPlan.REFERRAL: ("3457005", "Patient referral"),
}

# HAM10000's localizations as body structures.
BODY_SITE = {
    BodySite.ABDOMEN: ("818983003", "Abdomen"),
    BodySite.BACK: ("77568009", "Back"),
    BodySite.CHEST: ("51185008", "Thorax"),
    BodySite.EAR: ("1910005", "Entire ear"),
    BodySite.FACE: ("89545001", "Face"),
    BodySite.FOOT: ("56459004", "Foot"),
    BodySite.HAND: ("85562004", "Hand"),
    BodySite.LOWER_EXTREMITY: ("61685007", "Lower limb"),
    BodySite.NECK: ("45048000", "Neck"),
    BodySite.SCALP: ("41695006", "Scalp"),
    BodySite.TRUNK: ("22943007", "Trunk"),
    BodySite.UPPER_EXTREMITY: ("53120007", "Upper limb"),
}

_DX_NAMES = dict(HISTOLOGY_DIAGNOSES)


def _concept(snomed: tuple[str, str] | None, system: str, code: str, text: str) -> dict:
    coding = [{"system": SNOMED, "code": snomed[0], "display": snomed[1]}] if snomed else []
    coding.append({"system": system, "code": code, "display": text})
    return {"coding": coding, "text": text}


def diagnosis_concept(code: str) -> dict:
    return _concept(DIAGNOSIS.get(code), DX_SYSTEM, code, _DX_NAMES.get(code, code))


def plan_concept(plan: str, text: str) -> dict:
    """`text`: the plan as the review states it (e.g. "Follow-up in 6 months")."""
    return _concept(PLAN.get(plan), PLAN_SYSTEM, plan, text or ManagementPlan(plan).label)


def body_site_concept(site: str) -> dict | None:
    if not site or site == BodySite.UNKNOWN:
        return None
    return _concept(BODY_SITE.get(site), SITE_SYSTEM, site, BodySite(site).label)
