import pytest

from patients import services as patient_services
from tests.factories import CaseFactory, PatientFactory
from tests.images import jpeg_bytes, upload


@pytest.fixture
def uploaded_case(staff, django_capture_on_commit_callbacks):
    """A case with two stored images, their classification queued (not yet run)."""
    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    with django_capture_on_commit_callbacks():
        patient_services.images_upload(
            case=case, files=[upload(jpeg_bytes(seed=1)), upload(jpeg_bytes(seed=2, color=(60, 60, 200)))], uploaded_by=staff
        )
    return case
