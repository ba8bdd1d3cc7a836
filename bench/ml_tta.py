"""Cost of the default model's test-time augmentation (four flips) against plain prediction (baseline),
both measured in this run on the same batch. Uses DERM_MODEL_DIR or the shipped default model.

    python -m bench.ml_tta
"""

import os
from pathlib import Path

from bench.timing import best_of


def main() -> None:
    import numpy as np
    from PIL import Image

    import ml

    model_dir = Path(os.environ.get("DERM_MODEL_DIR") or ml.DEFAULT_MODEL_DIR)
    if not (model_dir / "model.json").is_file():
        print(f"no model at {model_dir}: skipped")
        return
    predictor = ml.Predictor.load(model_dir)
    rng = np.random.default_rng(0)
    images = [Image.fromarray(rng.integers(0, 255, (450, 600, 3), dtype=np.uint8)) for _ in range(16)]
    x = predictor.preprocess(images)
    preprocess = best_of(lambda: predictor.preprocess(images), repeat=3) / len(images)
    plain = best_of(lambda: predictor.predict_arrays(x, tta=False), repeat=3) / len(images)
    tta = best_of(lambda: predictor.predict_arrays(x, tta=True), repeat=3) / len(images)
    print(f"{predictor!r}, card TTA {predictor.tta}")
    print(f"preprocess 600x450 -> {predictor.input_size}: {preprocess * 1000:.1f} ms/image")
    print(f"plain: {plain * 1000:.1f} ms/image; TTA: {tta * 1000:.1f} ms/image = {tta / plain:.2f}x plain")


if __name__ == "__main__":
    main()
