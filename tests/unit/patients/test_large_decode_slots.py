"""Large images are decoded at most DERM_LARGE_DECODE_SLOTS at a time on the machine, across processes: while
another process holds the slot a large upload waits, then is refused with "try again" and nothing stored; small
images never wait; a freed slot (or a dead holder) lets the next one through."""

import time

import pytest

from dermplatform.slots import Busy
from patients.imaging import clean_image
from patients.models import LesionImage
from tests.factories import CaseFactory, PatientFactory
from tests.images import jpeg_bytes, upload
from tests.slot_holder import slot_held, slot_hold

pytestmark = pytest.mark.django_db

LARGE, SMALL = jpeg_bytes(size=(400, 300), seed=1), jpeg_bytes(size=(200, 150), seed=2)


@pytest.fixture
def limits(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.DERM_LARGE_DECODE_PIXELS = 100_000  # 400×300 is large, 200×150 is not
    settings.DERM_LARGE_DECODE_SLOTS = 1
    settings.DERM_LARGE_DECODE_WAIT = 1
    return tmp_path / "slots" / "large-decode" / "slot-0.lock"


@pytest.fixture
def other_process_holds_the_slot(limits):
    """Another process (a web worker, say) decoding a large image for the next few seconds."""
    with slot_held(limits, 4) as holder:
        yield holder


def test_a_large_decode_waits_for_the_slot_then_is_refused(other_process_holds_the_slot):
    started = time.monotonic()
    with pytest.raises(Busy, match="large-decode") as refused:
        clean_image(LARGE, "big.jpg")
    assert refused.value.messages == ["The server is busy with other large images; try this one again in a minute."]
    assert (refused.value.status_code, refused.value.retry_after) == (503, 60)
    assert time.monotonic() - started >= 1  # it waited for the slot first
    assert clean_image(SMALL, "small.jpg").width == 200  # small images never wait


def test_the_slot_is_free_again_when_its_holder_dies(other_process_holds_the_slot):
    other_process_holds_the_slot.kill()
    other_process_holds_the_slot.wait()
    assert clean_image(LARGE, "big.jpg").width == 400


def test_a_large_decode_goes_through_once_the_holder_finishes(limits, settings):
    settings.DERM_LARGE_DECODE_WAIT = 10
    holder = slot_hold(limits, 1)
    started = time.monotonic()
    assert clean_image(LARGE, "big.jpg").width == 400
    assert time.monotonic() - started >= 0.5
    holder.wait()


def test_upload_refused_while_busy_stores_nothing(client, staff, other_process_holds_the_slot, django_capture_on_commit_callbacks):
    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    client.force_login(staff)
    with django_capture_on_commit_callbacks():
        answer = client.post(f"/api/cases/{case.public_id}/images/", {"images": [upload(LARGE, name="big.jpg")]})
    # Nothing wrong with the file: 503 with Retry-After tells a client to send the same upload again later.
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "60"
    assert answer.json()["errors"] == ["big.jpg: The server is busy with other large images; try this one again in a minute."]
    assert LesionImage.objects.count() == 0


def test_a_busy_refusal_beside_a_bad_file_is_a_plain_refusal(client, staff, other_process_holds_the_slot,
                                                            django_capture_on_commit_callbacks):
    case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
    client.force_login(staff)
    with django_capture_on_commit_callbacks():
        answer = client.post(f"/api/cases/{case.public_id}/images/",
                             {"images": [upload(LARGE, name="big.jpg"), upload(b"not an image", name="bad.jpg")]})
    assert answer.status_code == 422  # sending it again would not help: bad.jpg stays refused
    assert len(answer.json()["errors"]) == 2
    assert LesionImage.objects.count() == 0
