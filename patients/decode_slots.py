"""At most a few large images decoded at once on this machine, across all web worker processes.

Decoding and cleaning a 48-megapixel photograph holds about 475 MiB in the worker that does it; three at once in
three workers would take 1.4 GiB. A large decode first takes one of DERM_LARGE_DECODE_SLOTS slots: an exclusive
lock (flock) on one of that many files under the var folder, which the kernel releases if its process dies.
A decode that finds every slot busy waits up to DERM_LARGE_DECODE_WAIT seconds, then the upload is refused
with a message to try again. Small images never wait.
"""

import ctypes
import ctypes.util
import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

POLL_SECONDS = 0.05
_LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
_malloc_trim = getattr(_LIBC, "malloc_trim", None)  # glibc only


def _return_memory_to_the_system() -> None:
    """Hand the decode's freed heap back to the system: glibc keeps it in the process otherwise, and each worker
    would go on holding its largest decode's worth of memory."""
    if _malloc_trim is not None:
        _malloc_trim(0)


def _slot_files() -> list[Path]:
    folder = Path(settings.VAR_DIR) / "decode-slots"
    folder.mkdir(parents=True, exist_ok=True)
    return [folder / f"slot-{index}.lock" for index in range(max(1, settings.DERM_LARGE_DECODE_SLOTS))]


def is_large(pixels: int) -> bool:
    return pixels > settings.DERM_LARGE_DECODE_PIXELS


@contextmanager
def large_decode_slot():
    """Hold one slot for the duration of the block (see the module's note)."""
    deadline = time.monotonic() + settings.DERM_LARGE_DECODE_WAIT
    while True:
        for path in _slot_files():
            handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(handle)
                continue
            try:
                yield
            finally:
                _return_memory_to_the_system()
                fcntl.flock(handle, fcntl.LOCK_UN)
                os.close(handle)
            return
        if time.monotonic() >= deadline:
            raise ValidationError(
                "The server is busy with other large images; try this one again in a minute.", code="busy"
            )
        time.sleep(POLL_SECONDS)
