"""Machine-wide slots: at most N of some costly work at once on this machine, across every worker process.

A slot is an exclusive lock (flock) on one of N files under VAR_DIR/slots/<name>/; the kernel releases it when
its holder's process dies, so a crashed worker never keeps a slot. Whoever finds every slot busy polls for one
until its wait runs out, then gets `Busy`: a clear "try again" (never a 5xx). The caller raises it again with
what the person is told, when to try again and the status that says so (the API's exception handler and the
sign-in pages answer it with Retry-After). Used for large image decodes (patients.decode_slots: 503) and password
hashing (dermplatform.accounts.hashing_slots: 429).
"""

import fcntl
import os
import threading
import time
from pathlib import Path

from django.conf import settings

POLL_SECONDS = 0.01  # a freed slot is taken within 10 ms; each waiter costs ~100 wake-ups a second, no CPU to speak of

_held = threading.local()  # names this thread holds a slot of: taking one again inside does not wait on itself


class Busy(Exception):
    """Every slot stayed busy for the whole wait: the same request will go through later. `messages` say so to
    people, `retry_after` in how many seconds, `status_code` with which status (503 by default)."""

    def __init__(self, name: str, *, messages=(), retry_after: int = 60, status_code: int = 503):
        super().__init__(f"every {name} slot is busy")
        self.name = name
        self.messages = list(messages) or [f"The server is busy ({name}); please try again later."]
        self.retry_after = retry_after
        self.status_code = status_code

    def with_messages(self, messages) -> "Busy":
        """The same refusal told with other words (e.g. naming the file it concerns)."""
        return Busy(self.name, messages=messages, retry_after=self.retry_after, status_code=self.status_code)


def slot_files(name: str, count: int) -> list[Path]:
    folder = Path(settings.VAR_DIR) / "slots" / name
    folder.mkdir(parents=True, exist_ok=True)
    return [folder / f"slot-{index}.lock" for index in range(max(1, count))]


class Slot:
    """One held slot (or nothing, for a nested hold in the same thread); release it once."""

    def __init__(self, name: str, handle: int | None):
        self.name, self._handle = name, handle

    def release(self) -> None:
        if self._handle is None:
            return
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        os.close(self._handle)
        self._handle = None
        _names_held().discard(self.name)


def _names_held() -> set:
    if not hasattr(_held, "names"):
        _held.names = set()
    return _held.names


def _try_each(paths: list[Path]) -> int | None:
    for path in paths:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            continue
        return handle
    return None


def acquire(name: str, *, count: int, wait: float) -> Slot:
    """Take one of `count` slots called `name`, waiting up to `wait` seconds (0: only if one is free now)."""
    if name in _names_held():
        return Slot(name, None)
    paths = slot_files(name, count)
    deadline = time.monotonic() + wait
    while True:
        handle = _try_each(paths)
        if handle is not None:
            _names_held().add(name)
            return Slot(name, handle)
        if time.monotonic() >= deadline:
            raise Busy(name)
        time.sleep(POLL_SECONDS)
