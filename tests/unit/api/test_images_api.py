"""Images through the API: multipart upload, metadata, the bytes served back, and a corpus of bad uploads.

Uploads enqueue one Celery task per stored image after commit: the tests capture
the on-commit callbacks without running them (nothing is sent) and count them.
"""

import hashlib
import io
import os

import pytest
from PIL import Image

from patients.models import CaseStatus, LesionImage, StoredFile

from .conftest import assert_no_database_ids, jpeg_bytes, make_image, png_bytes, png_header, upload


@pytest.fixture
def staff_api(api_as, staff):
    return api_as(staff)


def post_images(client, case, files, field="images"):
    return client.post(f"/api/cases/{case.public_id}/images/", {field: files}, format="multipart")


def exif_jpeg() -> bytes:
    """120×80 JPEG, left half red and right half blue, tagged 'rotate 90° clockwise' and with a GPS position."""
    image = Image.new("RGB", (120, 80), (255, 0, 0))
    image.paste((0, 0, 255), (60, 0, 120, 80))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° CW to display
    exif[0x010F] = "DermaCam"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (52.0, 31.0, 12.0)
    gps[3] = "E"
    gps[4] = (13.0, 24.0, 36.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95, exif=exif.tobytes())
    return out.getvalue()


# --- upload -------------------------------------------------------------------


def test_upload_several_images(staff_api, staff, case, django_capture_on_commit_callbacks):
    files = [upload(jpeg_bytes(color=(10, 10, 10)), "a.jpg"), upload(png_bytes(), "b.png", "image/png")]
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_images(staff_api, case, files)
    assert response.status_code == 201, response.content
    body = response.json()
    assert_no_database_ids(body)
    assert [image["original_filename"] for image in body["images"]] == ["a.jpg", "b.png"]
    assert [image["content_type"] for image in body["images"]] == ["image/jpeg", "image/png"]
    assert all(image["uploaded_by"] == staff.username and image["case"] == str(case.public_id) for image in body["images"])
    assert LesionImage.objects.filter(case=case).count() == 2
    assert len(callbacks) == 1  # after commit: one announcement of both stored images
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_AI


def test_upload_single_image_as_image_field(staff_api, case, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_images(staff_api, case, upload(jpeg_bytes(), "one.jpg"), field="image")
    assert response.status_code == 201
    assert len(response.json()["images"]) == 1
    assert len(callbacks) == 1


def test_upload_without_files(staff_api, case, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = staff_api.post(f"/api/cases/{case.public_id}/images/", {}, format="multipart")
    assert response.status_code == 422
    assert response.json() == {"errors": ["Choose at least one image."]}
    assert len(callbacks) == 0


def test_upload_as_json_is_415(staff_api, case):
    response = staff_api.post(f"/api/cases/{case.public_id}/images/", {"images": []}, format="json")
    assert response.status_code == 415
    assert not LesionImage.objects.exists()


def test_upload_to_archived_case(staff_api, case, django_capture_on_commit_callbacks):
    staff_api.post(f"/api/cases/{case.public_id}/archive/", {"reason": "Wrong patient"}, format="json")
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_images(staff_api, case, [upload(jpeg_bytes(), "a.jpg")])
    assert response.status_code == 409
    assert response.json() == {"errors": ["Images cannot be added to an archived case."]}
    assert not LesionImage.objects.exists() and len(callbacks) == 0


# --- bad uploads: 422, a clear message naming the file, nothing stored --------------------


def _svg() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><script>alert(1)</script></svg>'


def _truncated_jpeg() -> bytes:
    noise = Image.frombytes("RGB", (128, 128), os.urandom(128 * 128 * 3))
    out = io.BytesIO()
    noise.save(out, format="JPEG", quality=90)
    data = out.getvalue()
    return data[: len(data) // 2]


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (100, 100), (1, 2, 3)).save(out, format="GIF")
    return out.getvalue()


BAD_UPLOADS = [
    pytest.param("empty.jpg", lambda: b"", "image/jpeg", "File is empty", id="empty"),
    pytest.param("cut.jpg", _truncated_jpeg, "image/jpeg", "damaged or truncated", id="truncated-jpeg"),
    pytest.param("page.jpg", lambda: b"<!doctype html><html><body>hello</body></html>", "image/jpeg", "not a JPEG or PNG", id="html-named-jpg"),
    pytest.param("notes.jpg", lambda: b"just some text\n" * 20, "text/plain", "not a JPEG or PNG", id="text-named-jpg"),
    pytest.param("drawing.svg", _svg, "image/svg+xml", "not a JPEG or PNG", id="svg"),
    pytest.param("anim.gif", _gif, "image/gif", "Only JPEG and PNG", id="gif"),
    pytest.param("bomb.png", lambda: png_header(20000, 20000), "image/png", "too many pixels", id="bomb-20000x20000"),
    pytest.param("big.png", lambda: png_header(8000, 8000), "image/png", "too many pixels", id="over-pixel-limit-8000x8000"),
    pytest.param("tiny.jpg", lambda: jpeg_bytes(size=(63, 200)), "image/jpeg", "too small", id="under-64px"),
]


def assert_refused(response, filename, reason, before, case, callbacks):
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert any(message.startswith(f"{filename}: ") and reason in message for message in errors), errors
    assert (LesionImage.objects.count(), StoredFile.objects.count()) == before
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT
    assert len(callbacks) == 0


@pytest.mark.parametrize("filename, make, content_type, reason", BAD_UPLOADS)
def test_bad_upload_is_refused(staff_api, case, django_capture_on_commit_callbacks, filename, make, content_type, reason):
    before = (LesionImage.objects.count(), StoredFile.objects.count())
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_images(staff_api, case, [upload(make(), filename, content_type)])
    assert_refused(response, filename, reason, before, case, callbacks)


def test_one_bad_file_stores_none_of_the_batch(staff_api, case, django_capture_on_commit_callbacks):
    files = [upload(jpeg_bytes(), "good.jpg"), upload(b"nope", "bad.jpg"), upload(png_bytes(), "good2.png", "image/png")]
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_images(staff_api, case, files)
    assert_refused(response, "bad.jpg", "not a JPEG or PNG", (0, 0), case, callbacks)
    assert len(response.json()["errors"]) == 1


def test_file_over_the_limit(staff_api, case, settings, django_capture_on_commit_callbacks):
    settings.DERM_MAX_UPLOAD_BYTES = 1024 * 1024
    data = jpeg_bytes() + os.urandom(1024 * 1024)
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_images(staff_api, case, [upload(data, "huge.jpg")])
    assert_refused(response, "huge.jpg", "larger than the 1 MB limit", (0, 0), case, callbacks)


def test_file_over_the_default_20_mb_limit(staff_api, case, settings, django_capture_on_commit_callbacks):
    assert settings.DERM_MAX_UPLOAD_BYTES == 20 * 1024 * 1024
    data = jpeg_bytes() + b"\0" * (20 * 1024 * 1024)
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_images(staff_api, case, [upload(data, "huge.jpg")])
    assert_refused(response, "huge.jpg", "larger than the 20 MB limit", (0, 0), case, callbacks)


def test_exact_duplicate_in_the_case(staff_api, staff, case, django_capture_on_commit_callbacks):
    data = jpeg_bytes(color=(9, 99, 199))
    assert post_images(staff_api, case, [upload(data, "first.jpg")]).status_code == 201
    case.status = CaseStatus.DRAFT  # so that assert_refused can see the status is left alone
    case.save(update_fields=["status"])
    before = (LesionImage.objects.count(), StoredFile.objects.count())
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_images(staff_api, case, [upload(data, "again.jpg")])
    assert_refused(response, "again.jpg", "already in the case", before, case, callbacks)


def test_duplicate_within_one_batch(staff_api, case, django_capture_on_commit_callbacks):
    data = jpeg_bytes(color=(5, 55, 155))
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_images(staff_api, case, [upload(data, "a.jpg"), upload(data, "b.jpg")])
    assert_refused(response, "b.jpg", "already in the case", (0, 0), case, callbacks)


def test_same_image_in_another_case_is_fine(staff_api, staff, case, patient):
    from .conftest import make_case

    data = jpeg_bytes(color=(7, 77, 177))
    assert post_images(staff_api, case, [upload(data, "a.jpg")]).status_code == 201
    assert post_images(staff_api, make_case(staff, patient), [upload(data, "a.jpg")]).status_code == 201


# --- metadata and bytes ---------------------------------------------------------


def test_image_metadata(staff_api, staff, image):
    body = staff_api.get(f"/api/images/{image.public_id}/").json()
    assert_no_database_ids(body)
    assert body["public_id"] == str(image.public_id)
    assert body["case"] == str(image.case.public_id)
    assert (body["content_type"], body["width"], body["height"]) == ("image/jpeg", 96, 72)
    assert body["sha256"] == image.sha256 and len(body["sha256"]) == 64
    assert body["uploaded_by"] == staff.username and body["uploaded_at"]
    assert body["content_url"] == f"http://testserver/api/images/{image.public_id}/content/"
    assert body["thumbnail_url"] == f"http://testserver/api/images/{image.public_id}/thumbnail/"


def test_case_images_list(staff_api, staff, case):
    first, second = make_image(staff, case, color=(1, 1, 1)), make_image(staff, case, color=(250, 1, 1))
    body = staff_api.get(f"/api/cases/{case.public_id}/images/").json()
    assert body["count"] == 2
    assert [row["public_id"] for row in body["results"]] == [str(first.public_id), str(second.public_id)]


def test_round_trip_strips_metadata_and_applies_orientation(staff_api, case, django_capture_on_commit_callbacks):
    original = exif_jpeg()
    uploaded = Image.open(io.BytesIO(original))
    assert uploaded.getexif()[0x0112] == 6 and uploaded.getexif().get_ifd(0x8825)  # the test image really has them

    with django_capture_on_commit_callbacks() as callbacks:
        response = post_images(staff_api, case, [upload(original, "camera.jpg")])
    assert response.status_code == 201 and len(callbacks) == 1
    meta = response.json()["images"][0]
    assert meta["sha256"] == hashlib.sha256(original).hexdigest()
    assert (meta["width"], meta["height"]) == (80, 120)

    served = staff_api.get(f"/api/images/{meta['public_id']}/content/")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert served["Content-Disposition"] == f'inline; filename="{meta["public_id"]}.jpg"'
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Cache-Control"].startswith("private")
    data = served.content
    assert b"DermaCam" not in data and b"Exif" not in data
    decoded = Image.open(io.BytesIO(data))
    decoded.load()
    assert decoded.format == "JPEG"
    assert decoded.size == (80, 120)  # rotated upright
    assert len(decoded.getexif()) == 0 and "exif" not in decoded.info
    # Rotated 90° clockwise: the red left half is now on top, the blue right half at the bottom.
    top, bottom = decoded.getpixel((40, 20)), decoded.getpixel((40, 100))
    assert top[0] > 200 and top[2] < 60, top
    assert bottom[2] > 200 and bottom[0] < 60, bottom
    assert hashlib.sha256(data).hexdigest() != meta["sha256"]  # what is served is the cleaned copy


def test_png_round_trip(staff_api, case):
    original = png_bytes(size=(100, 70), color=(12, 34, 56))
    meta = post_images(staff_api, case, [upload(original, "scan.png", "image/png")]).json()["images"][0]
    served = staff_api.get(meta["content_url"])
    assert served["Content-Type"] == "image/png"
    decoded = Image.open(io.BytesIO(served.content))
    assert decoded.format == "PNG" and decoded.size == (100, 70)
    assert decoded.getpixel((50, 35)) == (12, 34, 56)
    assert meta["sha256"] == hashlib.sha256(original).hexdigest()


def test_thumbnail(staff_api, image):
    served = staff_api.get(f"/api/images/{image.public_id}/thumbnail/")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert served["Content-Disposition"] == f'inline; filename="{image.public_id}-thumbnail.jpg"'
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Cache-Control"].startswith("private")
    thumb = Image.open(io.BytesIO(served.content))
    assert thumb.format == "JPEG" and max(thumb.size) <= 256


def test_bytes_when_the_client_asks_for_an_image(staff_api, image):
    """Browsers' <img> requests send Accept: image/*; errors still answer JSON."""
    served = staff_api.get(f"/api/images/{image.public_id}/content/", HTTP_ACCEPT="image/avif,image/webp,image/*")
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    missing = staff_api.get("/api/images/00000000-0000-0000-0000-000000000000/content/", HTTP_ACCEPT="image/*")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/json"


def test_dermatologist_reads_bytes(api_as, dermatologist, image):
    served = api_as(dermatologist).get(f"/api/images/{image.public_id}/content/")
    assert served.status_code == 200
    assert Image.open(io.BytesIO(served.content)).size == (96, 72)
