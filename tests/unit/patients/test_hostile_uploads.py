"""Hostile and odd uploads (tests/hostile_uploads.py), each sent through the upload page and the API: refused with
a message that names the file and says why, or stored as a stripped copy; never a server error, never half-stored
(no image row, no stored bytes, the case's status unchanged when refused; all or nothing in a batch)."""

import io

import pytest
from django.core.files.storage import storages
from django.test import override_settings
from PIL import Image

from patients.models import CaseStatus, LesionImage
from patients.models.stored_file import StoredFile
from tests.factories import CaseFactory, PatientFactory
from tests.hostile_uploads import GPS_SECRET, POLYGLOT_PAYLOAD, TEXT_SECRET, corpus
from tests.images import jpeg_bytes, upload

pytestmark = pytest.mark.django_db

CORPUS = corpus()
SECRETS = (GPS_SECRET.encode(), TEXT_SECRET, POLYGLOT_PAYLOAD, b"evil.html", b"DermaCam", b"<script")


@pytest.fixture
def case(staff):
    return CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)


def _send(client, channel, case, files):
    if channel == "api":
        return client.post(f"/api/cases/{case.public_id}/images/", {"images": files})
    return client.post(f"/cases/{case.public_id}/images/", {"images": files}, follow=True)


def _refusal_messages(channel, response) -> list[str]:
    if channel == "api":
        assert response.status_code == 422, response.content[:300]
        return response.json()["errors"]
    assert response.status_code == 200
    return list(response.context["upload_errors"])


def _stored_rows():
    return LesionImage.objects.count(), StoredFile.objects.count()


def _assert_stripped(data: bytes, fmt: str, size=None) -> None:
    picture = Image.open(io.BytesIO(data))
    assert picture.format == fmt
    if size:
        assert picture.size == size
    assert picture.mode == "RGB"
    assert not picture.getexif() and "exif" not in picture.info and "icc_profile" not in picture.info
    assert not getattr(picture, "text", {})
    picture.load()
    assert not any(secret in data for secret in SECRETS)


@pytest.mark.parametrize("channel", ["page", "api"])
@pytest.mark.parametrize(("kind", "data", "name", "content_type", "expected"), CORPUS, ids=[c[0] for c in CORPUS])
def test_hostile_upload(client, staff, case, channel, kind, data, name, content_type, expected,
                        django_capture_on_commit_callbacks):
    client.force_login(staff)
    before = _stored_rows()
    with django_capture_on_commit_callbacks():
        response = _send(client, channel, case, [upload(data, name=name, content_type=content_type)])
    assert response.status_code < 500
    case.refresh_from_db()
    if expected[0] == "refused":
        messages = _refusal_messages(channel, response)
        assert len(messages) == 1 and messages[0].startswith(f"{name}: ") and expected[1] in messages[0], messages
        assert _stored_rows() == before, "a refused upload left rows behind"
        assert case.status == CaseStatus.DRAFT
        return
    _, fmt, size = expected
    if channel == "api":
        assert response.status_code == 201, response.content[:300]
    image = LesionImage.objects.get(case=case)
    sent_name = name.rsplit("/", 1)[-1]  # Django keeps only the last part of a path
    assert image.original_filename == sent_name and image.content_type == f"image/{fmt.lower()}"
    assert sent_name not in image.image.name  # stored under its own name, never the one sent
    if channel == "page":
        assert b"<img src=x" not in response.content  # a file name is text, never markup
    storage = storages["images"]
    with storage.open(image.image.name) as handle:
        _assert_stripped(handle.read(), fmt, size)
    with storage.open(image.thumbnail.name) as handle:
        _assert_stripped(handle.read(), "JPEG")
    assert case.status == CaseStatus.AWAITING_AI


def test_the_corpus_is_large_and_varied():
    kinds = [entry[0] for entry in CORPUS]
    assert len(kinds) >= 25 and len(set(kinds)) == len(kinds)
    assert {"refused", "stored"} == {entry[4][0] for entry in CORPUS}


@pytest.mark.parametrize("channel", ["page", "api"])
def test_a_batch_with_one_hostile_file_stores_nothing(client, staff, case, channel, django_capture_on_commit_callbacks):
    hostile = next(entry for entry in CORPUS if entry[0] == "png-bad-crc")
    files = [upload(jpeg_bytes(seed=1), name="good-1.jpg"), upload(hostile[1], name=hostile[2], content_type="image/png"),
             upload(jpeg_bytes(seed=2), name="good-2.jpg")]
    client.force_login(staff)
    before = _stored_rows()
    with django_capture_on_commit_callbacks():
        response = _send(client, channel, case, files)
    messages = _refusal_messages(channel, response)
    assert len(messages) == 1 and messages[0].startswith("damaged.png: ")
    assert _stored_rows() == before


@pytest.mark.parametrize("channel", ["page", "api"])
@override_settings(DERM_MAX_UPLOAD_BYTES=50_000)
def test_an_oversized_file_is_refused_before_decoding(client, staff, case, channel, django_capture_on_commit_callbacks):
    client.force_login(staff)
    large = jpeg_bytes(size=(1200, 900), seed=9) + b"\0" * 60_000
    with django_capture_on_commit_callbacks():
        response = _send(client, channel, case, [upload(large, name="large.jpg")])
    (message,) = _refusal_messages(channel, response)
    assert message.startswith("large.jpg: ") and "larger than" in message
    assert LesionImage.objects.count() == 0
