from django import forms

from .models.review import DIAGNOSES, ReviewDecision


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=ReviewDecision.choices, widget=forms.RadioSelect)
    diagnosis = forms.ChoiceField(choices=[("", "—")] + DIAGNOSES, required=False, help_text="Only when overriding.")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
