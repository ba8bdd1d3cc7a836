"""Per-image inference time in batches (what a deep queue allows) against one image at a time (baseline).

Uses DERM_MODEL_DIR or the shipped default model.
"""

import os
from pathlib import Path

from bench.timing import best_of


def main() -> None:
    import numpy as np
    from PIL import Image

    import ml
    from ml import Predictor

    model_dir = Path(os.environ.get("DERM_MODEL_DIR") or ml.DEFAULT_MODEL_DIR)
    if not (model_dir / "model.json").is_file():
        print(f"no model at {model_dir}: skipped")
        return
    predictor = Predictor.load(model_dir)
    rng = np.random.default_rng(0)
    images = [Image.fromarray(rng.integers(0, 255, (450, 600, 3), dtype=np.uint8)) for _ in range(16)]
    single = best_of(lambda: predictor.predict(images[:1]), repeat=5)
    print(f"{predictor!r}")
    for batch in (4, 16):
        per_image = best_of(lambda batch=batch: predictor.predict(images[:batch]), repeat=3) / batch
        print(f"batch {batch:>2}: {per_image * 1000:.1f} ms/image vs {single * 1000:.1f} ms single: "
              f"{single / per_image:.2f}x throughput")
    # The worker's call: probabilities, flags, guard and heat-map together.
    full = best_of(lambda: predictor.classify(images[:1]), repeat=3)
    print(f"classify (flags, guard, heat-map): {full * 1000:.1f} ms, {full / single:.2f}x one prediction")


if __name__ == "__main__":
    main()
