"""Images the platform must refuse to judge, for testing and measuring the image guard.

Real photographs that ship inside installed packages (scikit-learn's sample images, scikit-image's
bundled ``skimage.data`` images), documents and screenshots rendered with Pillow, blank frames, and
blurred, darkened and overexposed versions of real lesion images. Nothing is downloaded.
"""

from __future__ import annotations

import numpy as np
import skimage.data
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter
from sklearn.datasets import load_sample_images

# Bundled with scikit-image's wheel (no download); "cat" is the same picture as "chelsea".
SKIMAGE_BUNDLED = ("astronaut", "brick", "camera", "chelsea", "coffee", "coins", "colorwheel", "grass", "gravel",
                   "horse", "hubble_deep_field", "immunohistochemistry", "logo", "moon", "page", "retina", "rocket",
                   "text", "clock", "checkerboard", "microaneurysms")


def _pil(array: np.ndarray) -> Image.Image:
    a = np.asarray(array)
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    elif a.dtype != np.uint8:
        a = np.clip(a * (255 if a.max() <= 1 else 1), 0, 255).astype(np.uint8)
    return Image.fromarray(a).convert("RGB")


def package_photographs() -> list[tuple[str, Image.Image]]:
    sample = load_sample_images()
    out = [(f"sklearn:{name.rsplit('/', 1)[-1]}", _pil(img)) for name, img in zip(sample.filenames, sample.images, strict=True)]
    out += [(f"skimage:{name}", _pil(getattr(skimage.data, name)())) for name in SKIMAGE_BUNDLED]
    return out


def _lines(rng: np.random.Generator, n: int) -> list[str]:
    words = ("patient", "report", "clinic", "date", "lesion", "referral", "history", "the", "of", "and", "result",
             "invoice", "total", "page", "summary", "dermatology", "follow-up", "signature", "name", "address")
    return [" ".join(rng.choice(words, rng.integers(3, 9))) for _ in range(n)]


def rendered_documents(n: int = 6, seed: int = 0) -> list[tuple[str, Image.Image]]:
    """Letters and forms: dark text on white or cream paper, some with a table or a letterhead."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        paper = [(255, 255, 255), (250, 246, 235), (240, 240, 240)][i % 3]
        img = Image.new("RGB", (620, 877), paper)
        d = ImageDraw.Draw(img)
        if i % 2:
            d.rectangle([0, 0, 620, 90], fill=tuple(int(v) for v in rng.integers(20, 120, 3)))
        y = 120
        for line in _lines(rng, 40):
            d.text((40, y), line, fill=(20, 20, 20))
            y += 18
        if i % 3 == 2:
            for r in range(6):
                d.rectangle([40, 600 + 30 * r, 580, 630 + 30 * r], outline=(0, 0, 0))
        out.append((f"document:{i}", img))
    return out


def rendered_screenshots(n: int = 6, seed: int = 1) -> list[tuple[str, Image.Image]]:
    """Application windows: title bar, side bar, buttons and text, light and dark themes."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        dark = i % 2 == 1
        bg, fg = ((30, 30, 36), (220, 220, 220)) if dark else ((245, 245, 247), (30, 30, 30))
        img = Image.new("RGB", (1280, 800), bg)
        d = ImageDraw.Draw(img)
        d.rectangle([0, 0, 1280, 40], fill=(60, 60, 70) if dark else (210, 210, 215))
        d.rectangle([0, 40, 220, 800], fill=(45, 45, 52) if dark else (232, 232, 236))
        for k in range(12):
            d.text((20, 60 + 40 * k), f"menu item {k}", fill=fg)
        for k in range(5):
            x = 260 + 190 * k
            d.rounded_rectangle([x, 70, x + 170, 110], radius=8, fill=tuple(int(v) for v in rng.integers(40, 220, 3)))
        y = 140
        for line in _lines(rng, 30):
            d.text((260, y), line, fill=fg)
            y += 20
        out.append((f"screenshot:{i}", img))
    return out


def blank_frames() -> list[tuple[str, Image.Image]]:
    """Lens cap on, nothing in front of the dermatoscope, a uniform patch of skin."""
    rng = np.random.default_rng(2)
    colours = {"black": (0, 0, 0), "white": (255, 255, 255), "grey": (128, 128, 128), "skin": (224, 172, 150),
               "pink": (230, 160, 170)}
    out = []
    for name, rgb in colours.items():
        noise = rng.normal(0, 2.0, (450, 600, 3))
        out.append((f"blank:{name}", _pil(np.clip(np.array(rgb) + noise, 0, 255).astype(np.uint8))))
    return out


def blurred(image: Image.Image, radius: float = 4.0) -> Image.Image:
    """Out of focus: a Gaussian blur of ``radius`` pixels at the shared images' 200 x 150."""
    scale = max(image.size) / 200
    return image.convert("RGB").filter(ImageFilter.GaussianBlur(radius * scale))


def darkened(image: Image.Image, factor: float = 0.2) -> Image.Image:
    return ImageEnhance.Brightness(image.convert("RGB")).enhance(factor)


def overexposed(image: Image.Image, factor: float = 2.5) -> Image.Image:
    return ImageEnhance.Brightness(image.convert("RGB")).enhance(factor)


def not_assessable_corpus(lesions: list[Image.Image]) -> list[tuple[str, Image.Image]]:
    """Everything above, with degraded versions of each given lesion image."""
    out = package_photographs() + rendered_documents() + rendered_screenshots() + blank_frames()
    for i, img in enumerate(lesions):
        out += [(f"blurred:{i}", blurred(img)), (f"darkened:{i}", darkened(img)), (f"overexposed:{i}", overexposed(img))]
    return out


def guard_report(predictor, corpus: list[tuple[str, Image.Image]]) -> dict:
    """Share of the corpus the guard flags, overall and per kind, with the names it let through."""
    results = predictor.classify([img for _, img in corpus], heatmap=False)
    kinds: dict[str, list[bool]] = {}
    missed = []
    for (name, _), r in zip(corpus, results, strict=True):
        kinds.setdefault(name.split(":")[0], []).append(not r.assessable)
        if r.assessable:
            missed.append(name)
    flagged = [f for v in kinds.values() for f in v]
    return {"n": len(flagged), "flagged_fraction": float(np.mean(flagged)),
            "per_kind": {k: {"n": len(v), "flagged_fraction": float(np.mean(v))} for k, v in kinds.items()},
            "passed": missed}


def _varied_crops(img: Image.Image, rng: np.random.Generator, n: int) -> list[Image.Image]:
    """Random crops (30-100 % of each side), quarter turns and colour changes of one picture."""
    img = img.convert("RGB")
    out = []
    for _ in range(n):
        w, h = img.size
        cw, ch = (max(32, int(s * rng.uniform(0.3, 1.0))) for s in (w, h))
        x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        crop = img.crop((x0, y0, x0 + cw, y0 + ch)).rotate(90 * int(rng.integers(0, 4)), expand=True)
        crop = ImageEnhance.Color(crop).enhance(rng.uniform(0.5, 1.5))
        out.append(ImageEnhance.Brightness(crop).enhance(rng.uniform(0.7, 1.3)))
    return out


def extra_photographs() -> list[tuple[str, Image.Image]]:
    """More pictures that ship inside installed packages, used only to train the guard (never in the measured
    corpus): scikit-image's other bundled images and faces, matplotlib's portrait."""
    out = []
    # Only images bundled in the wheel: others would download (and under pytest, skip the test). Not "cat": it is
    # "chelsea", which the measured corpus holds out.
    out.append(("extra:cell", _pil(skimage.data.cell())))
    try:
        faces = skimage.data.lfw_subset()[:40]
        out += [(f"extra:face{i}", _pil(face).resize((200, 200))) for i, face in enumerate(faces)]
    except Exception:  # noqa: BLE001, S110
        pass
    try:
        import matplotlib.cbook

        with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
            out.append(("extra:grace_hopper", Image.open(f).convert("RGB")))
    except Exception:  # noqa: BLE001, S110
        pass
    return out


def split_photographs() -> tuple[list, list]:
    """The package photographs in two halves: one to train the guard's dermoscopy classifier on, one held out
    to measure it on pictures it never saw."""
    photos = package_photographs()
    return photos[0::2], photos[1::2]


def guard_training_negatives(seed: int = 42) -> list[tuple[str, Image.Image]]:
    """Not-dermoscopy examples for the guard's classifier: varied crops of half the package photographs and
    documents, screenshots and blank frames rendered with other seeds than the measured corpus's."""
    rng = np.random.default_rng(seed)
    train_photos, _ = split_photographs()
    out = []
    for name, img in train_photos + extra_photographs():
        n = 2 if name.startswith("extra:face") else 16
        out += [(f"{name}:crop{i}", c) for i, c in enumerate(_varied_crops(img, rng, n))]
    out += rendered_documents(n=40, seed=seed + 100)
    out += rendered_screenshots(n=40, seed=seed + 200)
    for i in range(40):
        colour = rng.integers(0, 256, 3)
        noise = rng.normal(0, rng.uniform(0.5, 6.0), (300, 400, 3))
        out.append((f"blank:random{i}", _pil(np.clip(colour + noise, 0, 255).astype(np.uint8))))
    return out


def held_out_corpus(lesions: list[Image.Image]) -> list[tuple[str, Image.Image]]:
    """The measured corpus without the photographs the guard's classifier was trained on."""
    _, held = split_photographs()
    out = held + rendered_documents() + rendered_screenshots() + blank_frames()
    for i, img in enumerate(lesions):
        out += [(f"blurred:{i}", blurred(img)), (f"darkened:{i}", darkened(img)), (f"overexposed:{i}", overexposed(img))]
    return out
