"""Fixtures for the API tests: rows are created through the services, as the API itself would."""

import io
import struct
import zlib
from datetime import date

import pytest
from PIL import Image
from rest_framework.test import APIClient

from patients import services
from patients.models import BodySite, LesionImage, Patient, StoredFile
from tests.images import upload  # noqa: F401  (the one builder of uploaded files, re-exported for the API tests)


def jpeg_bytes(size=(96, 72), color=(180, 90, 60), **save_options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG", quality=90, **save_options)
    return out.getvalue()


def png_bytes(size=(96, 72), color=(40, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A valid PNG signature and IHDR claiming width × height, with almost no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def db_state():
    """Everything a denied or refused request must leave untouched."""
    return (
        list(Patient.objects.order_by("pk").values()),
        list(LesionImage.objects.order_by("pk").values()),
        StoredFile.objects.count(),
        [tuple(row.values()) for row in _case_rows()],
    )


def _case_rows():
    from patients.models import Case

    return Case.objects.order_by("pk").values()


def assert_no_database_ids(data):
    """API output names objects by public_id only."""
    if isinstance(data, dict):
        for key, value in data.items():
            assert key != "id" and key != "pk" and not (key.endswith("_id") and key != "public_id"), key
            assert_no_database_ids(value)
    elif isinstance(data, list):
        for item in data:
            assert_no_database_ids(item)


def make_patient(user, mrn="MRN-1", first_name="Ada", last_name="Lovelace", **extra) -> Patient:
    return services.patient_create(
        created_by=user,
        medical_record_number=mrn,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=extra.pop("date_of_birth", date(1970, 5, 17)),
        sex=extra.pop("sex", "female"),
    )


def make_case(user, patient, body_site=BodySite.BACK, notes="Changing naevus."):
    return services.case_create(patient=patient, created_by=user, body_site=body_site, clinical_notes=notes)


def make_image(user, case, color=(200, 100, 50)) -> LesionImage:
    [image] = services.images_upload(case=case, files=[upload(jpeg_bytes(color=color), "lesion.jpg")], uploaded_by=user)
    return image


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def api_as(api):
    """api_as(user) signs the client in by session; api_as(None) leaves it anonymous."""

    def sign_in(user):
        if user is not None:
            api.force_login(user)
        return api

    return sign_in


@pytest.fixture
def patient(staff):
    return make_patient(staff, mrn="OWN-001", first_name="Ada", last_name="Lovelace")


@pytest.fixture
def case(staff, patient):
    return make_case(staff, patient)


@pytest.fixture
def image(staff, case):
    return make_image(staff, case)


@pytest.fixture
def other_patient(outsider_staff):
    return make_patient(outsider_staff, mrn="OTHER-001", first_name="Grace", last_name="Hopper")


@pytest.fixture
def other_case(outsider_staff, other_patient):
    return make_case(outsider_staff, other_patient, body_site=BodySite.FACE)


@pytest.fixture
def other_image(outsider_staff, other_case):
    return make_image(outsider_staff, other_case, color=(20, 200, 20))

