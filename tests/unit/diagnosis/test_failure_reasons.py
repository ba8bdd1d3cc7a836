"""One function turns an exception into the reason staff read: plain words, never the exception's text."""

import io

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError
from PIL import Image

from diagnosis.inference import failure_reasons
from diagnosis.inference.failure_reasons import failure_reason
from tests.images import jpeg_bytes


def _raised(action) -> BaseException:
    with pytest.raises(BaseException) as caught:
        action()
    return caught.value


def _open_and_decode(data: bytes):
    with Image.open(io.BytesIO(data)) as image:
        image.load()


def test_a_corrupt_image_is_unreadable_in_plain_words_without_the_exception_text():
    exc = _raised(lambda: _open_and_decode(b"not an image" * 40))
    assert "object at 0x" in repr(exc)  # what staff were shown before
    reason = failure_reason(exc)
    assert reason == "The stored image could not be read: upload it again"
    assert "0x" not in reason and "Error" not in reason


def test_a_truncated_image_is_unreadable():
    exc = _raised(lambda: _open_and_decode(jpeg_bytes()[:400]))
    assert failure_reason(exc) == failure_reasons.UNREADABLE


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (FileNotFoundError(2, "No such file", "images/ab/cd.jpg"), failure_reasons.MISSING),
        (SoftTimeLimitExceeded(), failure_reasons.TOO_SLOW),
        (OperationalError("connection to server at 127.0.0.1 failed"), failure_reasons.DATABASE),
        (RuntimeError("<object at 0x7f00deadbeef>"), failure_reasons.UNKNOWN),
        (OSError("disk quota exceeded"), failure_reasons.UNKNOWN),  # not Pillow's: no claim about the image
    ],
)
def test_each_exception_has_a_plain_reason(exc, expected):
    assert failure_reason(exc) == expected
    assert "0x" not in expected and "/" not in expected
