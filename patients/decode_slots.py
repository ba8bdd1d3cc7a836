"""At most a few large images decoded at once on this machine, across all web worker processes.

Decoding and cleaning a 48-megapixel photograph holds about 475 MiB in the worker that does it; three at once in
three workers would take 1.4 GiB. A large decode first takes one of DERM_LARGE_DECODE_SLOTS machine-wide slots
(dermplatform.slots: a flock the kernel releases if its process dies). A decode that finds every slot busy waits
up to DERM_LARGE_DECODE_WAIT seconds, then the upload is refused with a message to try again (slots.Busy: the API
answers 503 with Retry-After). Small images never wait.
"""

import ctypes
import ctypes.util
from contextlib import contextmanager

from django.conf import settings

from dermplatform import slots

SLOT_NAME = "large-decode"
BUSY_MESSAGE = "The server is busy with other large images; try this one again in a minute."
RETRY_AFTER_SECONDS = 60
_LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
_malloc_trim = getattr(_LIBC, "malloc_trim", None)  # glibc only


def _return_memory_to_the_system() -> None:
    """Hand the decode's freed heap back to the system: glibc keeps it in the process otherwise, and each worker
    would go on holding its largest decode's worth of memory."""
    if _malloc_trim is not None:
        _malloc_trim(0)


def is_large(pixels: int) -> bool:
    return pixels > settings.DERM_LARGE_DECODE_PIXELS


@contextmanager
def large_decode_slot():
    """Hold one slot for the duration of the block (see the module's note)."""
    try:
        slot = slots.acquire(SLOT_NAME, count=settings.DERM_LARGE_DECODE_SLOTS, wait=settings.DERM_LARGE_DECODE_WAIT)
    except slots.Busy:
        raise slots.Busy(SLOT_NAME, messages=[BUSY_MESSAGE], retry_after=RETRY_AFTER_SECONDS, status_code=503) from None
    try:
        yield
    finally:
        _return_memory_to_the_system()
        slot.release()
