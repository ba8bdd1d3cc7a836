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
    monkeypatch.setattr("diagnosis.services.images_enqueue", lambda image_ids: None)  # no broker in unit tests
    try:
        callbacks[0]()
    finally:
        images_stored.disconnect(receiver)
    assert announced == [sorted(case.images.values_list("pk", flat=True))]


@pytest.mark.parametrize(("kind", "data", "name", "message"), bad_uploads(), ids=[b[0] for b in bad_uploads()])
def test_bad_upload_shows_the_reason_and_stores_nothing(staff_client, case, kind, data, name, message, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = _post(staff_client, case, upload(data, name))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert name in response.content.decode()
    assert LesionImage.objects.count() == 0 and StoredFile.objects.count() == 0
    assert callbacks == []
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT


def test_one_bad_file_in_a_batch_stores_none(staff_client, case):
    response = _post(staff_client, case, upload(jpeg_bytes()), upload(b"not an image", "notes.jpg"))
    assert response.status_code == 400
    assert "notes.jpg" in response.content.decode()
    assert LesionImage.objects.count() == 0 and StoredFile.objects.count() == 0


def test_oversized_upload_is_refused(staff_client, case, settings):
    settings.DERM_MAX_UPLOAD_BYTES = 2048
    response = _post(staff_client, case, upload(jpeg_bytes(size=(640, 480))))
    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    assert LesionImage.objects.count() == 0


def test_exact_duplicate_in_the_same_case_is_refused(staff_client, case, django_capture_on_commit_callbacks):
    data = jpeg_bytes(seed=3)
    with django_capture_on_commit_callbacks():
        assert _post(staff_client, case, upload(data)).status_code == 302
    response = _post(staff_client, case, upload(data, "again.jpg"))
    assert response.status_code == 400
    assert "already in the case" in response.content.decode()
    assert case.images.count() == 1


def test_no_file_chosen(staff_client, case):
    response = staff_client.post(reverse("patients:image_upload", args=[case.public_id]), {})
    assert response.status_code == 400
    assert "Choose at least one image" in response.content.decode()


def test_archived_case_takes_no_images(staff_client, case, staff):
    from patients.services import case_archive

    case_archive(case=case, user=staff, reason="entered in error")
    response = _post(staff_client, case, upload(jpeg_bytes()))
    assert response.status_code == 400
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
