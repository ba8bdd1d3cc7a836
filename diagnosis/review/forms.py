from django import forms

from diagnosis.models.histology import HISTOLOGY_DIAGNOSES
from diagnosis.models.review import DIAGNOSES, ManagementPlan, ReviewDecision
from diagnosis.review.rules import Decision, Opinion, review_problems


class ReviewForm(forms.Form):
    """The review decision. Given the case's `opinion` (services.review_opinion), it refuses what
    diagnosis.review.rules refuses, with the same messages as the service (which checks again under lock)."""

    decision = forms.ChoiceField(choices=ReviewDecision.choices, widget=forms.RadioSelect)
    diagnosis = forms.ChoiceField(
        choices=[("", "—")] + DIAGNOSES, required=False,
        help_text="Required to override; to confirm, leave it empty (or choose the AI's).",
    )
    plan = forms.ChoiceField(label="Management plan", choices=ManagementPlan.choices, widget=forms.RadioSelect)
    follow_up_months = forms.IntegerField(
        label="Follow-up in (months)", required=False, min_value=1, max_value=60,
        help_text="Only with a follow-up plan, and required then.",
    )
    downgrade_reason = forms.CharField(
        label="Reason for a downgrade",
        widget=forms.Textarea(attrs={"rows": 2}), required=False,
        help_text=(
            "Required when your decision turns a malignant or flagged opinion (the AI's flag or its class akiec, "
            "bcc or mel, a malignant review in force, malignant histology) into a benign diagnosis or a "
            "Reassure/Follow-up plan; it is then recorded as a downgrade."
        ),
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    # The case's review version when the form was opened (diagnosis.review.stale_review): a review recorded meanwhile
    # refuses this one instead of being replaced by it unseen.
    review_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, opinion: Opinion | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.opinion = opinion

    def clean(self):
        data = super().clean()
        if self.opinion is None:
            return data
        decision = Decision(
            decision=data.get("decision") or "", diagnosis=data.get("diagnosis") or "", plan=data.get("plan") or "",
            follow_up_months=data.get("follow_up_months"), downgrade_reason=data.get("downgrade_reason") or "",
        )
        for field, message in review_problems(decision, self.opinion):
            if field not in self.errors:  # a field the form refused already keeps its own message
                self.add_error(field, message)
        return data


class HistologyForm(forms.Form):
    diagnosis = forms.ChoiceField(label="Histological diagnosis", choices=[("", "—")] + HISTOLOGY_DIAGNOSES)
    reported_on = forms.DateField(label="Report date", widget=forms.DateInput(attrs={"type": "date"}))
    report_reference = forms.CharField(label="Report reference", max_length=100)
