from django import forms

from diagnosis.review.worklist.models import ItemKind


class WorklistFilterForm(forms.Form):
    kind = forms.ChoiceField(label="Kind", choices=[("", "All kinds"), *ItemKind.choices], required=False)
    due_by = forms.DateField(
        label="Due by", required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Only items due on or before this day (overdue included).",
    )


class ItemForm(forms.Form):
    """The item a done or reopen button names: its kind and the fact it showed."""

    kind = forms.ChoiceField(choices=ItemKind.choices)
    fact = forms.CharField(max_length=100)
