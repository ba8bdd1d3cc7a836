"""A corpus of hostile and odd uploads, each with what the platform must do with it: refuse it with a clear
message, or store a stripped copy (re-encoded, no metadata, RGB).

Each entry: (id, bytes, filename, content type sent, expected), expected being ("refused", message fragment) or
("stored", format stored, (width, height) stored).
"""

import io
import struct
import zlib

from PIL import Image, ImageCms, PngImagePlugin

from tests.images import jpeg_bytes, png_bytes

GPS_SECRET = "52.3731N"  # a marker that must not survive in a stored copy
TEXT_SECRET = b"Patient: Jane Roe, born 1961"


def _save(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _lesion(mode="RGB", size=(160, 120)) -> Image.Image:
    picture = Image.new("RGB", size, (170, 110, 80))
    for x in range(size[0] // 3):
        for y in range(size[1] // 3):
            picture.putpixel((x, y), (40, 30, 160))
    return picture.convert(mode) if mode != "RGB" else picture


def _chunk(kind: bytes, payload: bytes, crc: int | None = None) -> bytes:
    crc = zlib.crc32(kind + payload) if crc is None else crc
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def _png_header_claiming(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _chunk(b"IEND", b"")


def _png_with_bad_crc() -> bytes:
    good = png_bytes()
    # Flip one byte of the first IDAT's data: its CRC no longer matches.
    at = good.index(b"IDAT") + 8
    return good[:at] + bytes([good[at] ^ 0xFF]) + good[at + 1 :]


def _jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(jpeg_bytes(size=(96, 96)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _exif_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "DermaCam"  # Make
    exif[0x0131] = "firmware 1.0"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (52.0, 22.0, 23.0)
    gps[3] = "E"
    gps[4] = (4.0, 53.0, 42.0)
    gps[27] = GPS_SECRET
    return _save(_lesion(), "JPEG", exif=exif, quality=90)


def _exif_rotated() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    return _save(_lesion(size=(200, 100)), "JPEG", exif=exif, quality=90)


def _png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", TEXT_SECRET.decode())
    info.add_itxt("Description", TEXT_SECRET.decode())
    return _save(_lesion(), "PNG", pnginfo=info)


def _jpeg_with_icc() -> bytes:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return _save(_lesion(), "JPEG", icc_profile=profile, quality=90)


def _png_16_bit_grey() -> bytes:
    grey = Image.new("I;16", (160, 120))
    grey.putdata([(x * 400) % 65535 for y in range(120) for x in range(160)])
    return _save(grey, "PNG")


def _png_16_bit_rgb() -> bytes:
    # Pillow writes no 48-bit PNG: build one by hand (IHDR bit depth 16, colour type 2).
    width, height = 96, 80
    rows = b"".join(b"\x00" + struct.pack(">HHH", 40000, 20000, 9000) * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b"")


def _animated(fmt: str) -> bytes:
    frames = [_lesion(), Image.new("RGB", (160, 120), (0, 200, 0))]
    return _save(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)


def _palette_with_transparency() -> bytes:
    picture = _lesion().convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    return _save(picture, "PNG", transparency=0)


def _pdf() -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def _zip() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("evil.html", "<script>alert(1)</script>")
    return out.getvalue()


POLYGLOT_PAYLOAD = b"<script>alert('polyglot')</script>"


def corpus() -> list[tuple]:
    jpeg, png = jpeg_bytes(), png_bytes()
    refused, stored = "refused", "stored"
    return [
        ("zero-bytes", b"", "empty.jpg", "image/jpeg", (refused, "empty")),
        ("truncated-jpeg", jpeg[: len(jpeg) // 2], "cut.jpg", "image/jpeg", (refused, "damaged or truncated")),
        ("truncated-png", png[: len(png) - 40], "cut.png", "image/png", (refused, "damaged or truncated")),
        ("jpeg-magic-then-html", b"\xff\xd8\xff\xe0" + b"<html><script>alert(1)</script></html>", "a.jpg", "image/jpeg",
         (refused, "damaged or truncated")),
        ("html", b"<!doctype html><script>alert(1)</script>", "lesion.jpg", "image/jpeg", (refused, "not a JPEG or PNG")),
        ("svg-with-script", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "lesion.svg",
         "image/svg+xml", (refused, "not a JPEG or PNG")),
        ("pdf-with-javascript", _pdf(), "scan.pdf", "application/pdf", (refused, "not a JPEG or PNG")),
        ("zip", _zip(), "lesion.png", "image/png", (refused, "not a JPEG or PNG")),
        ("shell-script", b"#!/bin/sh\nrm -rf /\n", "lesion.png", "image/png", (refused, "not a JPEG or PNG")),
        ("png-bad-crc", _png_with_bad_crc(), "damaged.png", "image/png", (refused, "damaged")),
        ("png-bomb-header", _png_header_claiming(30000, 30000), "bomb.png", "image/png", (refused, "too many pixels")),
        ("jpeg-huge-dimensions", _jpeg_claiming(65000, 65000), "huge.jpg", "image/jpeg", (refused, "too many pixels")),
        ("png-one-pixel", _save(Image.new("RGB", (1, 1)), "PNG"), "dot.png", "image/png", (refused, "too small")),
        ("jpeg-sliver", jpeg_bytes(size=(48, 400)), "sliver.jpg", "image/jpeg", (refused, "too small")),
        ("animated-gif", _animated("GIF"), "lesion.gif", "image/gif", (refused, "Only JPEG and PNG")),
        ("webp", _save(_lesion(), "WEBP"), "lesion.webp", "image/webp", (refused, "Only JPEG and PNG")),
        ("tiff", _save(_lesion(), "TIFF"), "lesion.tif", "image/tiff", (refused, "Only JPEG and PNG")),
        ("bmp-named-jpg", _save(_lesion(), "BMP"), "lesion.jpg", "image/jpeg", (refused, "Only JPEG and PNG")),
        ("cmyk-jpeg", _save(_lesion("CMYK"), "JPEG", quality=90), "cmyk.jpg", "image/jpeg", (stored, "JPEG", (160, 120))),
        ("grey-jpeg", _save(_lesion("L"), "JPEG", quality=90), "grey.jpg", "image/jpeg", (stored, "JPEG", (160, 120))),
        ("png-16-bit-grey", _png_16_bit_grey(), "deep.png", "image/png", (stored, "PNG", (160, 120))),
        ("png-16-bit-rgb", _png_16_bit_rgb(), "deep-rgb.png", "image/png", (stored, "PNG", (96, 80))),
        ("png-palette", _save(_lesion().convert("P"), "PNG"), "palette.png", "image/png", (stored, "PNG", (160, 120))),
        ("png-palette-transparent", _palette_with_transparency(), "pal-t.png", "image/png", (stored, "PNG", (160, 120))),
        ("png-rgba", _save(_lesion("RGBA"), "PNG"), "alpha.png", "image/png", (stored, "PNG", (160, 120))),
        ("apng-animated", _animated("PNG"), "moving.png", "image/png", (stored, "PNG", (160, 120))),
        ("jpeg-exif-gps", _exif_with_gps(), "gps.jpg", "image/jpeg", (stored, "JPEG", (160, 120))),
        ("jpeg-exif-rotated", _exif_rotated(), "rotated.jpg", "image/jpeg", (stored, "JPEG", (100, 200))),
        ("jpeg-icc-profile", _jpeg_with_icc(), "icc.jpg", "image/jpeg", (stored, "JPEG", (160, 120))),
        ("png-text-chunks", _png_with_text(), "text.png", "image/png", (stored, "PNG", (160, 120))),
        ("png-named-jpg", png, "really-a-png.jpg", "image/jpeg", (stored, "PNG", (200, 150))),
        ("jpeg-named-png", jpeg, "really-a-jpeg.png", "image/png", (stored, "JPEG", (320, 240))),
        ("jpeg-html-appended", jpeg_bytes(seed=3) + POLYGLOT_PAYLOAD, "polyglot.jpg", "image/jpeg", (stored, "JPEG", (320, 240))),
        ("png-zip-appended", png_bytes(color=(9, 9, 9)) + _zip(), "polyglot.png", "image/png", (stored, "PNG", (200, 150))),
        ("hostile-filename", jpeg_bytes(seed=4), '../../<img src=x onerror=alert(1)>".jpg', "image/jpeg", (stored, "JPEG", (320, 240))),
    ]
