from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect

from ..forms import ArchiveForm


def attach_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form it came from."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def archive_from_form(request, record, archive, label: str):
    """Run an archive service with the reason from the posted form, then go back to the record."""
    form = ArchiveForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Give a reason for archiving.")
        archive(record, user=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{label} archived.")
    return redirect(record)
