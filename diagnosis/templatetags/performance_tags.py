from django import template

register = template.Library()


@register.filter
def proportion(value) -> str:
    """A diagnosis.reports.performance.Proportion as "4 / 5 (80.0%, 95% CI 38–96%)", or "—" with no cases."""
    if not value.total:
        return "—"
    low, high = value.interval
    return f"{value.hits} / {value.total} ({value.value * 100:.1f}%, 95% CI {low * 100:.0f}–{high * 100:.0f}%)"
