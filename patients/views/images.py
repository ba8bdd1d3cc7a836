from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from dermplatform import slots
from dermplatform.accounts.models import Role
from dermplatform.api.downloads import private_download
from dermplatform.accounts.permissions import role_required
from dermplatform.api import policy

from .. import selectors, services
from ..forms import ImageUploadForm
from .cases import UPLOAD_REFUSED

IMAGE_READERS = (Role.STAFF, Role.DERMATOLOGIST, Role.ADMIN)


def image_response(field_file, content_type: str, filename: str) -> HttpResponse:
    """Serve stored image bytes privately, never sniffed as anything but an image."""
    with field_file.open("rb") as handle:
        response = HttpResponse(handle.read(), content_type=content_type)
    return private_download(response, filename, inline=True)


@require_POST
@role_required(*policy.CLINICAL_WRITERS)
def image_upload(request, public_id):
    case = selectors.case_get(user=request.user, public_id=public_id)
    form = ImageUploadForm(request.POST, request.FILES)
    try:
        stored = services.images_upload(case=case, files=form.files_list(), uploaded_by=request.user)
    except (ValidationError, slots.Busy) as exc:
        # Redirect either way, so that a refresh never sends the files again; the case page shows why they
        # were refused next to the upload form (a browser forgets the chosen files anyway).
        request.session[UPLOAD_REFUSED] = {"case": str(case.public_id), "errors": exc.messages}
        return redirect(f"{case.get_absolute_url()}#upload-errors")
    messages.success(request, f"{len(stored)} image(s) stored; the AI second opinion is on its way.")
    for image in stored:
        if image.duplicate_warning:
            messages.warning(request, image.duplicate_warning)
    return redirect(case)


@require_GET
@role_required(*IMAGE_READERS)
def image_content(request, public_id):
    image = selectors.image_get(user=request.user, public_id=public_id)
    extension = image.image.name.rsplit(".", 1)[-1]
    return image_response(image.image, image.content_type, f"{image.public_id}.{extension}")


@require_GET
@role_required(*IMAGE_READERS)
def image_thumbnail(request, public_id):
    image = selectors.image_get(user=request.user, public_id=public_id)
    return image_response(image.thumbnail, "image/jpeg", f"{image.public_id}-thumbnail.jpg")
