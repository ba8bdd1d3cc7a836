import pytest

from patients import services
from tests.factories import CaseFactory, PatientFactory
from tests.images import jpeg_bytes, upload


@pytest.fixture
def patient(clinic, staff):
    return PatientFactory(clinic=clinic, created_by=staff)


@pytest.fixture
def case(patient, staff):
    return CaseFactory(patient=patient, created_by=staff)


@pytest.fixture
def image(case, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        (stored,) = services.images_upload(case=case, files=[upload(jpeg_bytes(seed=1))], uploaded_by=staff)
    return stored


@pytest.fixture
def other_patient(other_clinic, outsider_staff):
    return PatientFactory(clinic=other_clinic, created_by=outsider_staff)


@pytest.fixture
def other_case(other_patient, outsider_staff):
    return CaseFactory(patient=other_patient, created_by=outsider_staff)


@pytest.fixture
def other_image(other_case, outsider_staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        (stored,) = services.images_upload(case=other_case, files=[upload(jpeg_bytes(seed=2))], uploaded_by=outsider_staff)
    return stored
