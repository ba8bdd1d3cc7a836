"""The worker's cost per image against the runtime's own, same run, same views.

Baseline: the raw LiteRT call on the four flip views (what the hardware needs), timed in turns with classify
(fastest round of each: the machine may be shared). Compared: the worker's call
`Predictor.classify` on LiteRT (preprocessing, calibration, flags, guard, heat-map PNG included), the same on
traced Keras, and the previous worker's eager Keras path (four eager calls, one per flip). Uses DERM_MODEL_DIR or the
shipped default model; the LiteRT file is converted into a temporary folder.
"""

import os
import tempfile
from pathlib import Path

from bench.timing import best_of, fastest_interleaved


def main() -> None:
    import numpy as np
    from PIL import Image

    import ml
    from ml.serving.clinical_metadata import encode_many
    from ml.serving.litert import convert
    from ml.serving.predictor import flip_views

    model_dir = Path(os.environ.get("DERM_MODEL_DIR") or ml.DEFAULT_MODEL_DIR)
    keras_p = ml.Predictor.load(model_dir)
    lite_p = ml.Predictor.load(model_dir)
    with tempfile.TemporaryDirectory() as tmp:
        lite_p.use_litert(convert(lite_p.model, Path(tmp) / "model.tflite"))
        rng = np.random.default_rng(0)
        images = [Image.fromarray(rng.integers(0, 255, (450, 600, 3), dtype=np.uint8)) for _ in range(32)]
        meta = [{"age": 60, "sex": "male", "localization": "back"}] * 32
        print(f"{lite_p!r}")
        for n in (1, 32):
            x = lite_p.preprocess(images[:n])
            views = flip_views(x).astype(np.float32)
            m = np.tile(encode_many(meta[:n], n), (4, 1))
            inputs = {"image": views, "metadata": m} if lite_p.uses_metadata else views
            raw, lite = (t / n for t in fastest_interleaved(
                lambda inputs=inputs: lite_p._forward(inputs),
                lambda n=n: lite_p.classify(images[:n], metadata=meta[:n], batch_size=32),
                repeat=9 if n == 1 else 5,
            ))
            traced = best_of(lambda n=n: keras_p.classify(images[:n], metadata=meta[:n], batch_size=32), repeat=3) / n

            def eager(inputs=inputs, n=n):  # the previous worker: one eager Keras call per flip
                for v in range(4):
                    part = inputs if not isinstance(inputs, dict) else {k: a[v * n:(v + 1) * n] for k, a in inputs.items()}
                    keras_p.model(part if isinstance(part, dict) else part[v * n:(v + 1) * n], training=False)

            old = best_of(eager, repeat=3) / n
            print(f"batch {n:>2}: raw LiteRT {raw * 1000:.1f} ms/image | classify on LiteRT {lite * 1000:.1f} ms "
                  f"({lite / raw:.2f}x raw) | classify on traced Keras {traced * 1000:.1f} ms ({traced / raw:.2f}x) | "
                  f"eager Keras, 4 calls, no heat-map {old * 1000:.1f} ms ({old / raw:.2f}x)")


if __name__ == "__main__":
    main()
