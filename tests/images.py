"""Image bytes for tests: valid dermoscopy-like images and a corpus of bad uploads."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def jpeg_bytes(size=(320, 240), color=(180, 120, 90), exif=None, seed=0) -> bytes:
    image = Image.new("RGB", size, color)
    # Some structure, so that orientation and content are checkable.
    for x in range(size[0] // 4):
        for y in range(size[1] // 4):
            image.putpixel((x, y), (20 + seed % 200, 30, 200))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def png_bytes(size=(200, 150), color=(90, 140, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def upload(data: bytes, name="lesion.jpg", content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims a huge size: a decompression bomb if decoded."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def bad_uploads():
    """(id, bytes, filename, expected message fragment) for every kind of refused upload."""
    good = jpeg_bytes()
    gif = io.BytesIO()
    Image.new("RGB", (100, 100)).save(gif, "GIF")
    return [
        ("empty", b"", "empty.jpg", "empty"),
        ("truncated", good[: len(good) // 2], "truncated.jpg", "damaged or truncated"),
        ("html", b"<html><script>alert(1)</script></html>", "lesion.jpg", "not a JPEG or PNG"),
        ("svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="100" height="100"/></svg>',
         "lesion.svg", "not a JPEG or PNG"),
        ("script", b"#!/bin/sh\nrm -rf /\n", "lesion.png", "not a JPEG or PNG"),
        ("gif", gif.getvalue(), "lesion.gif", "Only JPEG and PNG"),
        ("bomb", _png_header_only(30000, 30000), "bomb.png", "too many pixels"),
        ("tiny", jpeg_bytes(size=(48, 200)), "tiny.jpg", "too small"),
    ]
