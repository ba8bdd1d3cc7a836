from django import forms
from django.utils import timezone

from .models import BodySite, Case, Patient


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = ["medical_record_number", "first_name", "last_name", "date_of_birth", "sex"]
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The browser's date picker stops at today; Patient.clean() refuses a future date whatever sends it.
        self.fields["date_of_birth"].widget.attrs["max"] = timezone.localdate().isoformat()


class CaseForm(forms.ModelForm):
    body_site = forms.ChoiceField(choices=BodySite.choices)

    class Meta:
        model = Case
        fields = ["body_site", "clinical_notes"]
        widgets = {"clinical_notes": forms.Textarea(attrs={"rows": 4})}


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
