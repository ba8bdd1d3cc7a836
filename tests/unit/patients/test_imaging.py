import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from patients.imaging import clean_image, read_upload
from tests.images import bad_uploads, jpeg_bytes, png_bytes, upload

ORIENTATION = 0x0112
GPS_IFD = 0x8825


def exif_rotated_with_gps():
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # rotate 90° clockwise for display
    exif[0x010F] = "DermaCam"  # Make
    exif.get_ifd(GPS_IFD)[2] = (48.0, 12.0, 30.0)  # GPSLatitude
    return exif


@pytest.mark.parametrize(("kind", "data", "name", "message"), bad_uploads(), ids=[b[0] for b in bad_uploads()])
def test_bad_uploads_are_refused_with_a_clear_message(kind, data, name, message):
    with pytest.raises(ValidationError) as excinfo:
        clean_image(read_upload(upload(data, name)), name)
    assert message in " ".join(excinfo.value.messages)


def test_oversized_file_is_refused_before_decoding(settings):
    settings.DERM_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(ValidationError, match="larger than"):
        read_upload(upload(jpeg_bytes()))


def test_exif_orientation_applied_and_metadata_stripped():
    original = jpeg_bytes(size=(320, 240), exif=exif_rotated_with_gps())
    assert Image.open(io.BytesIO(original)).getexif().get(ORIENTATION) == 6
    cleaned = clean_image(original, "x.jpg")
    stored = Image.open(io.BytesIO(cleaned.content))
    assert stored.size == (240, 320)  # rotated upright
    assert (cleaned.width, cleaned.height) == (240, 320)
    assert len(stored.getexif()) == 0
    assert "exif" not in stored.info and "icc_profile" not in stored.info
    assert cleaned.sha256 == hashlib.sha256(original).hexdigest()
    # The marked top-left block moved to the top-right corner, as the orientation tag asked.
    r, g, b = stored.convert("RGB").getpixel((239 - 10, 10))
    assert b > 150 and r < 100


def test_png_stays_lossless_png():
    data = png_bytes()
    cleaned = clean_image(data, "x.png")
    assert cleaned.content_type == "image/png"
    assert Image.open(io.BytesIO(cleaned.content)).tobytes() == Image.open(io.BytesIO(data)).convert("RGB").tobytes()


def test_transparent_png_is_flattened_to_rgb():
    out = io.BytesIO()
    Image.new("RGBA", (100, 100), (255, 0, 0, 0)).save(out, "PNG")
    stored = Image.open(io.BytesIO(clean_image(out.getvalue()).content))
    assert stored.mode == "RGB"
    assert stored.getpixel((5, 5)) == (255, 255, 255)


def test_thumbnail_fits_in_256():
    cleaned = clean_image(jpeg_bytes(size=(1200, 900)))
    assert max(Image.open(io.BytesIO(cleaned.thumbnail)).size) == 256
