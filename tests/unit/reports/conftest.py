import pytest

from tests.clinical_world import clinical_world


@pytest.fixture
def world(staff, dermatologist, django_capture_on_commit_callbacks):
    """A reviewed case of the staff's clinic: patient, lesion, image, AI prediction with heat-map, review."""
    return clinical_world(staff=staff, dermatologist=dermatologist, capture_on_commit=django_capture_on_commit_callbacks)


@pytest.fixture
def other_world(outsider_staff, outsider_dermatologist, django_capture_on_commit_callbacks):
    return clinical_world(
        staff=outsider_staff, dermatologist=outsider_dermatologist, capture_on_commit=django_capture_on_commit_callbacks
    )
