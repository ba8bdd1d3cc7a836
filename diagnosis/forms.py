from django import forms

from .models.histology import HISTOLOGY_DIAGNOSES
from .models.review import DIAGNOSES, ManagementPlan, ReviewDecision


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=ReviewDecision.choices, widget=forms.RadioSelect)
    diagnosis = forms.ChoiceField(choices=[("", "—")] + DIAGNOSES, required=False, help_text="Only when overriding.")
    plan = forms.ChoiceField(label="Management plan", choices=ManagementPlan.choices, widget=forms.RadioSelect)
    follow_up_months = forms.IntegerField(
        label="Follow-up in (months)", required=False, min_value=1, max_value=60,
        help_text="Only with a follow-up plan, and required then.",
    )
    downgrade_reason = forms.CharField(
        label="Reason for changing a malignant diagnosis to a benign one",
        widget=forms.Textarea(attrs={"rows": 2}), required=False,
        help_text="Required when the review in force is malignant (akiec, bcc, mel) and yours is benign.",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class HistologyForm(forms.Form):
    diagnosis = forms.ChoiceField(label="Histological diagnosis", choices=[("", "—")] + HISTOLOGY_DIAGNOSES)
    reported_on = forms.DateField(label="Report date", widget=forms.DateInput(attrs={"type": "date"}))
    report_reference = forms.CharField(label="Report reference", max_length=100)
