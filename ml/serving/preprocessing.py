"""The one canonical image preprocessing, shared by training, evaluation and ``Predictor``.

Any size, aspect and mode goes in; a fixed ``(height, width, 3)`` uint8 RGB array comes out:

1. convert to RGB (drops alpha, expands greyscale and palette images);
2. if the image is portrait while the target is landscape (or the reverse), rotate it by 90 degrees:
   dermoscopy has no canonical orientation, and rotating keeps more of the lesion than cropping;
3. resize so the image *covers* the target (aspect kept, bicubic with antialiasing when shrinking);
4. centre-crop to the target: lesions are photographed centred, so the border is what we lose.

Pixel scaling (to 0..1 or -1..1) is not done here: each model carries its own normalisation
layer, so the model file alone defines what the network expects after this step.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image

METHOD = "rgb_orient_cover_center_crop"


@dataclass(frozen=True)
class PreprocessingSpec:
    height: int = 150
    width: int = 200
    method: str = METHOD
    resample: str = "bicubic"

    @property
    def size(self) -> tuple[int, int]:
        return (self.height, self.width)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["output"] = "uint8 RGB, (height, width, 3); normalisation is inside the model"
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "PreprocessingSpec":
        if d.get("method", METHOD) != METHOD:
            raise ValueError(f"unsupported preprocessing method {d.get('method')!r}")
        return cls(height=int(d["height"]), width=int(d["width"]), resample=d.get("resample", "bicubic"))


_RESAMPLE = {"bicubic": Image.Resampling.BICUBIC, "bilinear": Image.Resampling.BILINEAR}


def preprocess_image(image: Image.Image, spec: PreprocessingSpec) -> np.ndarray:
    """PIL image of any size/aspect/mode -> uint8 array of shape (spec.height, spec.width, 3)."""
    img = image.convert("RGB")
    w, h = img.size
    if (h > w) != (spec.height > spec.width) and h != w:
        img = img.transpose(Image.Transpose.ROTATE_90)
        w, h = h, w
    scale = max(spec.width / w, spec.height / h)
    new_w, new_h = max(spec.width, round(w * scale)), max(spec.height, round(h * scale))
    if (new_w, new_h) != (w, h):
        img = img.resize((new_w, new_h), _RESAMPLE[spec.resample])
    left, top = (new_w - spec.width) // 2, (new_h - spec.height) // 2
    img = img.crop((left, top, left + spec.width, top + spec.height))
    return np.asarray(img, dtype=np.uint8)


def load_image(path: str, spec: PreprocessingSpec) -> np.ndarray:
    with Image.open(path) as img:
        return preprocess_image(img, spec)
