"""Validation and cleaning of uploaded dermoscopic images.

An upload is accepted only if Pillow decodes it completely as JPEG or PNG
within the size and pixel limits. The stored copy has the EXIF orientation
applied and carries no metadata (EXIF, GPS, XMP, comments, ICC: colours are
converted to sRGB first).
"""

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from .decode_slots import is_large, large_decode_slot

ACCEPTED_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG"}  # MPO: camera JPEGs with a preview frame
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png"}
MIN_SIDE = 64
MAX_PIXELS = 50_000_000  # well above any dermatoscope; refuses decompression bombs before decoding
THUMBNAIL_SIZE = (256, 256)
JPEG_QUALITY = 95


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    thumbnail: bytes
    format: str
    width: int
    height: int
    sha256: str
    original_filename: str

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


def read_upload(upload) -> bytes:
    """Read an uploaded file, refusing empty and oversized ones before decoding anything."""
    limit = settings.DERM_MAX_UPLOAD_BYTES
    too_large = ValidationError(f"File is larger than the {limit / (1024 * 1024):g} MB limit.", code="too_large")
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise too_large
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise too_large
    if not data:
        raise ValidationError("File is empty.", code="empty")
    return data


def _decode(data: bytes) -> tuple[Image.Image, str]:
    """Fully decode the bytes as JPEG or PNG, or explain why not."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            fmt = ACCEPTED_FORMATS.get(probe.format or "")
            if fmt is None:
                raise ValidationError(f"Only JPEG and PNG images are accepted, not {probe.format}.", code="format")
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise ValidationError(
                    f"Image has too many pixels ({width}×{height}); the limit is {MAX_PIXELS:,}.", code="pixels"
                )
            probe.verify()  # structure and checksums (PNG CRCs)
            image = Image.open(io.BytesIO(data))
            image.load()  # every pixel: truncated files fail here
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError("Image has too many pixels (possible decompression bomb).", code="pixels") from None
    except UnidentifiedImageError:
        raise ValidationError("File is not a JPEG or PNG image.", code="not_image") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(f"Image is damaged or truncated ({exc}).", code="damaged") from None
    if min(image.size) < MIN_SIDE:
        raise ValidationError(
            f"Image is too small ({image.width}×{image.height}); each side needs at least {MIN_SIDE} px.",
            code="too_small",
        )
    return image, fmt


def _to_srgb(image: Image.Image) -> Image.Image:
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=image.mode)
        except (ImageCms.PyCMSError, OSError):
            pass  # an unreadable profile: keep the pixels as they are
    return image


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    # No exif=, icc_profile= or pnginfo=: Pillow then writes none.
    image.save(out, format=fmt, **options)
    return out.getvalue()


def clean_image(data: bytes, filename: str = "") -> CleanImage:
    """Validate upload bytes and return the stripped copy to store. Large images wait for a decode slot."""
    if is_large(_header_pixels(data)):
        with large_decode_slot():
            return _clean(data, filename)
    return _clean(data, filename)


def _header_pixels(data: bytes) -> int:
    """Pixels the file's header claims (nothing decoded); 0 where there is no readable header."""
    try:
        width, height = Image.open(io.BytesIO(data)).size
    except Exception:  # noqa: BLE001  any unreadable file: _decode says why
        return 0
    return width * height


def _clean(data: bytes, filename: str) -> CleanImage:
    image, fmt = _decode(data)
    image = ImageOps.exif_transpose(image)
    image = _to_rgb(_to_srgb(image))
    options = {"quality": JPEG_QUALITY, "subsampling": 0} if fmt == "JPEG" else {}
    content = _encode(image, fmt, **options)
    thumb = image.copy()
    thumb.thumbnail(THUMBNAIL_SIZE)
    return CleanImage(
        content=content,
        thumbnail=_encode(thumb, "JPEG", quality=85),
        format=fmt,
        width=image.width,
        height=image.height,
        sha256=hashlib.sha256(data).hexdigest(),
        original_filename=(filename or "")[-255:],
    )
