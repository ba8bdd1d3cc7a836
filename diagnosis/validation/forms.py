from django import forms

from dermplatform.accounts.models import Clinic
from diagnosis.validation.selectors import histology_cases


class _RunForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, label="Label",
                           help_text="Optional: e.g. the device or period the images come from.")
    clinic = forms.ModelChoiceField(queryset=Clinic.objects.order_by("name"), required=False,
                                    help_text="Administrators: the clinic the run is for.")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user is not None and user.role != "admin":
            del self.fields["clinic"]

    def clinic_id(self) -> int | None:
        if "clinic" in self.fields:
            clinic = self.cleaned_data.get("clinic")
            return clinic.pk if clinic else None
        return self.user.clinic_id


class UploadRunForm(_RunForm):
    images = forms.FileField(label="Images (ZIP)", required=False)
    labels = forms.FileField(label="Labels (CSV)", required=False,
                             help_text="Columns: file_name, diagnosis (akiec, bcc, bkl, df, mel, nv, vasc); optional "
                                       "age, sex, body_site.")


class HistologyRunForm(_RunForm):
    cases = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Cases",
        help_text="Pick the cases to include; none picked: every case with histology.",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if user is None or "clinic" in self.fields:
            del self.fields["cases"]  # admins: every case with histology of the chosen clinic
            return
        self.fields["cases"].choices = [
            (str(h.case.public_id), f"{h.case.created_at:%Y-%m-%d} · {h.case.get_body_site_display()} · "
                                    f"histology {h.diagnosis}")
            for h in histology_cases(clinic_id=user.clinic_id)
        ]
        if not self.fields["cases"].choices:
            del self.fields["cases"]
