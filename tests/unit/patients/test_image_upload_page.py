import hashlib
import io

import pytest
from django.urls import reverse
from PIL import Image

from patients.models import CaseStatus, LesionImage, StoredFile
from patients.signals import images_stored
from tests.images import bad_uploads, jpeg_bytes, png_bytes, upload
from tests.unit.patients.test_imaging import exif_rotated_with_gps

pytestmark = pytest.mark.django_db


def _post(client, case, *files):
    return client.post(reverse("patients:image_upload", args=[case.public_id]), {"images": list(files)})


def _refused(client, case, response) -> str:
    """A refused upload redirects too (a refresh must not send it again); the case page then says why, once."""
    assert response.status_code == 302
    assert response["Location"] == f"{case.get_absolute_url()}#upload-errors"
    page = client.get(case.get_absolute_url())
    assert page.status_code == 200
    content = page.content.decode()
    assert 'id="upload-errors"' in content
    assert 'id="upload-errors"' not in client.get(case.get_absolute_url()).content.decode()
    return content


def test_upload_several_images_stores_them_and_queues_each_once(
    staff_client, case, django_capture_on_commit_callbacks, monkeypatch
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = _post(staff_client, case, upload(jpeg_bytes(seed=1)), upload(png_bytes(), "b.png", "image/png"))
    assert response.status_code == 302
    assert case.images.count() == 2
    assert len(callbacks) == 1  # after commit: one announcement of every stored image
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_AI

    announced = []
    receiver = lambda sender, image_ids, **kwargs: announced.append(sorted(image_ids))  # noqa: E731
    images_stored.connect(receiver, weak=False)
    monkeypatch.setattr("diagnosis.inference.enqueue.images_enqueue", lambda image_ids: None)  # no broker in unit tests
    try:
        callbacks[0]()
    finally:
        images_stored.disconnect(receiver)
    assert announced == [sorted(case.images.values_list("pk", flat=True))]


@pytest.mark.parametrize(("kind", "data", "name", "message"), bad_uploads(), ids=[b[0] for b in bad_uploads()])
def test_bad_upload_shows_the_reason_and_stores_nothing(staff_client, case, kind, data, name, message, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = _post(staff_client, case, upload(data, name))
    content = _refused(staff_client, case, response)
    assert message in content
    assert name in content
    assert LesionImage.objects.count() == 0 and StoredFile.objects.count() == 0
    assert callbacks == []
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT


def test_one_bad_file_in_a_batch_stores_none(staff_client, case):
    response = _post(staff_client, case, upload(jpeg_bytes()), upload(b"not an image", "notes.jpg"))
    assert "notes.jpg" in _refused(staff_client, case, response)
    assert LesionImage.objects.count() == 0 and StoredFile.objects.count() == 0


def test_oversized_upload_is_refused(staff_client, case, settings):
    settings.DERM_MAX_UPLOAD_BYTES = 2048
    response = _post(staff_client, case, upload(jpeg_bytes(size=(640, 480))))
    assert "larger than" in _refused(staff_client, case, response)
    assert LesionImage.objects.count() == 0


def test_exact_duplicate_in_the_same_case_is_refused(staff_client, case, django_capture_on_commit_callbacks):
    data = jpeg_bytes(seed=3)
    with django_capture_on_commit_callbacks():
        assert _post(staff_client, case, upload(data)).status_code == 302
    response = _post(staff_client, case, upload(data, "again.jpg"))
    assert "already in the case" in _refused(staff_client, case, response)
    assert case.images.count() == 1


def test_no_file_chosen(staff_client, case):
    response = staff_client.post(reverse("patients:image_upload", args=[case.public_id]), {})
    assert "Choose at least one image" in _refused(staff_client, case, response)


def test_archived_case_takes_no_images(staff_client, case, staff):
    from patients.services import case_archive

    case_archive(case=case, user=staff, reason="entered in error")
    response = _post(staff_client, case, upload(jpeg_bytes()))
    assert "archived case" in _refused(staff_client, case, response)
    assert LesionImage.objects.count() == 0


def test_round_trip_serves_the_stripped_image(staff_client, case, django_capture_on_commit_callbacks):
    original = jpeg_bytes(size=(320, 240), exif=exif_rotated_with_gps())
    with django_capture_on_commit_callbacks():
        _post(staff_client, case, upload(original))
    stored = case.images.get()
    assert stored.sha256 == hashlib.sha256(original).hexdigest()
    response = staff_client.get(stored.content_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline; filename=")
    assert "private" in response["Cache-Control"]
    served = Image.open(io.BytesIO(response.content))
    assert served.size == (240, 320)  # EXIF orientation applied
    assert len(served.getexif()) == 0  # EXIF and GPS gone
    expected = Image.open(io.BytesIO(original)).transpose(Image.Transpose.ROTATE_270).convert("RGB")
    diff = sum(abs(a - b) for a, b in zip(served.convert("RGB").tobytes(), expected.tobytes())) / (240 * 320 * 3)
    assert diff < 3  # the same picture, re-encoded at high quality
    thumb = staff_client.get(stored.thumbnail_url())
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"


def test_refused_upload_shows_only_the_real_reason(staff_client, case):
    content = _refused(staff_client, case, _post(staff_client, case, upload(b"not an image", "notes.jpg")))
    assert "notes.jpg" in content
    assert "No file was submitted" not in content
    errors = content[content.index('id="upload-errors"'):]
    errors = errors[: errors.index("</section>")]
    assert errors.count("<li>") == 1


def test_refusal_is_shown_on_its_own_case_only(staff_client, case, staff):
    from tests.factories import CaseFactory

    other = CaseFactory(patient=case.patient, created_by=staff)
    _post(staff_client, case, upload(b"not an image", "notes.jpg"))
    assert 'id="upload-errors"' not in staff_client.get(other.get_absolute_url()).content.decode()
    assert 'id="upload-errors"' in staff_client.get(case.get_absolute_url()).content.decode()


def test_successful_upload_redirects_to_the_case_page(staff_client, case, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        response = _post(staff_client, case, upload(jpeg_bytes(seed=4)))
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    assert staff_client.get(reverse("patients:image_upload", args=[case.public_id])).status_code == 405


def test_file_input_has_a_label(staff_client, case):
    content = staff_client.get(case.get_absolute_url()).content.decode()
    assert '<label for="id_images">Dermoscopic images</label>' in content
    assert 'id="id_images"' in content and 'aria-describedby="upload-help"' in content


def test_upload_form_cleans_several_files_without_a_spurious_error():
    from django.utils.datastructures import MultiValueDict

    from patients.forms import ImageUploadForm

    files = MultiValueDict({"images": [upload(jpeg_bytes(seed=1)), upload(jpeg_bytes(seed=2), "b.jpg")]})
    form = ImageUploadForm({}, files)
    assert form.is_valid(), form.errors
    assert len(form.cleaned_data["images"]) == 2
