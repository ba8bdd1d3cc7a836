"""Why the AI gave up on an image, in plain words for staff (pages, API, needs-attention, the admin's job list).

The technical text of an exception (its class, message, a memory address, a path) goes to the logs only, never to
the database or a page: `failure_reason(exc)` is the one place that turns an exception into what staff read.
"""

from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError
from PIL import Image, UnidentifiedImageError

UNREADABLE = "The stored image could not be read: upload it again"
MISSING = "The stored image file is missing: upload it again"
TOO_SLOW = "The AI took too long on this image: retry it"
DATABASE = "The database was unavailable for several minutes: retry it"
UNKNOWN = "The AI could not classify this image: retry it, and upload it again if it fails again"


def failure_reason(exc: BaseException) -> str:
    """The plain reason staff read for a failed try ending in `exc`."""
    if isinstance(exc, (UnidentifiedImageError, Image.DecompressionBombError)):
        return UNREADABLE
    if isinstance(exc, FileNotFoundError):
        return MISSING
    if isinstance(exc, SoftTimeLimitExceeded):
        return TOO_SLOW
    if isinstance(exc, (OperationalError, InterfaceError)):
        return DATABASE
    if isinstance(exc, (OSError, SyntaxError)) and _from_pillow(exc):
        return UNREADABLE  # a truncated or damaged file Pillow opened but could not decode
    return UNKNOWN


def _from_pillow(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__", "").startswith("PIL."):
            return True
        tb = tb.tb_next
    return False
