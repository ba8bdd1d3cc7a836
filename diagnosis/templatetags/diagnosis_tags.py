from django import template

register = template.Library()

NAMES = {
    "akiec": "Actinic keratosis / Bowen's", "bcc": "Basal cell carcinoma", "bkl": "Benign keratosis",
    "df": "Dermatofibroma", "mel": "Melanoma", "nv": "Melanocytic nevus", "vasc": "Vascular lesion",
}


@register.filter
def dx_name(code: str) -> str:
    return NAMES.get(code, code)


@register.filter
def percent(value) -> str:
    return f"{float(value) * 100:.1f}%"


@register.filter
def risk_level(value) -> str:
    value = float(value or 0)
    return "high" if value >= 0.5 else "medium" if value >= 0.2 else "low"


@register.simple_tag
def case_summary(case):
    """The AI's opinion on a case, for pages outside the diagnosis app."""
    from diagnosis.services import case_ai_summary

    return case_ai_summary(case)
