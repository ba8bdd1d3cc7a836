from django import forms
from django.utils import timezone

from .models import BodySite, Case, Lesion, Patient, Side


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = ["medical_record_number", "first_name", "last_name", "date_of_birth", "sex"]
        # An <input type="date"> takes only yyyy-mm-dd: in the locale's format (14/03/1986) the browser blanks it.
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The browser's date picker stops at today; Patient.clean() refuses a future date whatever sends it.
        self.fields["date_of_birth"].widget.attrs["max"] = timezone.localdate().isoformat()


class PatientSearchForm(forms.Form):
    q = forms.CharField(max_length=200, required=False)
    archived = forms.BooleanField(required=False)


class CaseForm(forms.ModelForm):
    body_site = forms.ChoiceField(choices=BodySite.choices)

    class Meta:
        model = Case
        fields = ["body_site", "clinical_notes"]
        widgets = {"clinical_notes": forms.Textarea(attrs={"rows": 4})}


class CaseCreateForm(forms.Form):
    """Opening a case: a follow-up visit of one of the patient's lesions, or a new lesion."""

    lesion = forms.ModelChoiceField(
        queryset=Lesion.objects.none(), required=False, empty_label="A new lesion", to_field_name="public_id",
        label="Lesion", help_text="A follow-up visit of a lesion seen before, or a new lesion described below.",
    )
    body_site = forms.ChoiceField(choices=[("", "—")] + BodySite.choices, required=False, help_text="New lesion only.")
    side = forms.ChoiceField(choices=Side.choices, required=False, help_text="New lesion only.")
    label = forms.CharField(max_length=100, required=False, help_text='New lesion only, e.g. "left shoulder, 6 mm pigmented".')
    clinical_notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def __init__(self, *args, lesions=None, **kwargs):
        super().__init__(*args, **kwargs)
        if lesions is not None:
            self.fields["lesion"].queryset = lesions
        self.fields["lesion"].label_from_instance = lambda lesion: f"{lesion.name} (since {lesion.created_at:%Y-%m-%d})"


class ArchiveForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Cleans the list of files a multiple input sends (a plain FileField reads a list as "no file submitted")."""

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return super().clean(data, initial)


class ImageUploadForm(forms.Form):
    # The bytes are validated by patients.services.images_upload, which decodes them.
    images = MultipleFileField(
        label="Dermoscopic images",
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png", "multiple": True, "aria-describedby": "upload-help"}),
        required=False,
        help_text="JPEG or PNG, up to 20 MB each; several at once.",
    )

    def files_list(self):
        return self.files.getlist("images")
