"""Cost of upload validation (full decode, EXIF transpose, sRGB, strip, re-encode, thumbnail).

Baseline: a bare Pillow decode of the same bytes, measured in the same run.
"""

import io
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dermplatform.settings")
django.setup()

from PIL import Image  # noqa: E402

from bench.timing import best_of  # noqa: E402
from patients.imaging import clean_image  # noqa: E402


def _dermoscopy_like(size) -> bytes:
    import numpy as np

    rng = np.random.default_rng(0)
    pixels = (rng.normal(150, 40, (size[1], size[0], 3))).clip(0, 255).astype("uint8")
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=90)
    return out.getvalue()


def main() -> None:
    for size in [(600, 450), (1024, 768), (4000, 3000)]:
        data = _dermoscopy_like(size)
        baseline = best_of(lambda data=data: Image.open(io.BytesIO(data)).load(), repeat=5)
        cleaning = best_of(lambda data=data: clean_image(data, "x.jpg"), repeat=5)
        print(f"{size[0]}x{size[1]} ({len(data) / 1e6:.1f} MB): decode {baseline * 1000:.1f} ms, "
              f"validate+clean {cleaning * 1000:.1f} ms, ratio {cleaning / baseline:.1f}x")


if __name__ == "__main__":
    main()
