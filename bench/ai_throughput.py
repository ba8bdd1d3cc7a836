"""A backlog drained by one worker against the raw model's batched throughput, and the worker's memory.

Real parts: the configured database (PostgreSQL with `make bench`), the Redis broker, one `celery worker` process
(solo pool) serving the active model (LiteRT). Twice, 200 uploads (600x450 JPEG) are stored first and committed together,
so that their 200 messages reach the queue at once; the clock runs from that commit to the last stored prediction.
Baselines, same run, same images: the raw LiteRT call on the four flip views of DERM_AI_BATCH_SIZE images at a
time (per image), and `Predictor.classify` on the same batches (the worker's call without the database).
Target (issue 8): drained throughput >= 0.8 x raw batched throughput. Memory: the worker's resident set after it
loaded and warmed the model, after 200 images and after 200 more (no growth beyond noise).
"""

import io
import os
import tempfile
import time
from pathlib import Path

from bench.ai_latency import _image_bytes, _start_worker  # noqa: F401  (sets Django up)
from bench.timing import fastest_interleaved

N_IMAGES = int(os.environ.get("BENCH_BACKLOG", "200"))
PER_CASE = 20  # the most one upload takes


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    from django.conf import settings

    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        print("needs CELERY_BROKER_URL=redis://... and a database (make bench sets both): skipped")
        return
    import numpy as np
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import transaction
    from PIL import Image

    from diagnosis.inference.model_registry import model_version_active, predictor_for
    from diagnosis.models import Prediction
    from ml.serving.clinical_metadata import encode_many
    from ml.serving.predictor import flip_views
    from patients.services import images_upload
    from bench.world import bench_staff
    from tests.factories import CaseFactory, PatientFactory

    call_command("migrate", verbosity=0)
    predictor = predictor_for(model_version_active())
    batch = settings.DERM_AI_BATCH_SIZE
    pictures = [Image.open(io.BytesIO(_image_bytes(10_000 + i))) for i in range(batch)]
    views = flip_views(predictor.preprocess(pictures)).astype(np.float32)
    inputs = {"image": views, "metadata": np.tile(encode_many(None, batch), (4, 1))} if predictor.uses_metadata else views
    raw, classify = (t / batch for t in fastest_interleaved(
        lambda: predictor._forward(inputs), lambda: predictor.classify(pictures, batch_size=batch), repeat=5
    ))

    staff = bench_staff()
    with tempfile.TemporaryDirectory() as tmp:
        worker = _start_worker(Path(tmp) / "worker.log")
        try:
            time.sleep(1)
            rss_warm = _rss_mb(worker.pid)
            drains, rss = [], [rss_warm]
            for backlog in range(2):  # a second backlog tells growth from the allocator's first high-water mark
                offset = backlog * N_IMAGES
                data = [_image_bytes(10_000 + offset + i) for i in range(N_IMAGES)]
                images = []
                with transaction.atomic():  # every message goes out at the commit
                    for start in range(0, N_IMAGES, PER_CASE):
                        case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff),
                                           created_by=staff)
                        files = [SimpleUploadedFile(f"b{i}.jpg", data[i], "image/jpeg")
                                 for i in range(start, min(N_IMAGES, start + PER_CASE))]
                        images += images_upload(case=case, files=files, uploaded_by=staff)
                started = time.perf_counter()
                while Prediction.objects.filter(image__in=images).count() < len(images):
                    if time.perf_counter() - started > 600:
                        raise RuntimeError("backlog not drained within 10 minutes")
                    time.sleep(0.05)
                drains.append(time.perf_counter() - started)
                time.sleep(1)
                rss.append(_rss_mb(worker.pid))
            log = (Path(tmp) / "worker.log").read_text()
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    import re

    passes = [(int(n), int(ms)) for n, ms in re.findall(r"classified (\d+) images in one pass \((\d+) ms each\)", log)]
    in_pass = sum(n * ms for n, ms in passes) / max(1, sum(n for n, _ in passes))
    per_image = min(drains) / N_IMAGES
    print(f"{predictor!r} on {predictor.runtime}; 2 x {N_IMAGES} uploads queued at once, one solo worker, "
          f"DERM_AI_BATCH_SIZE={batch}: {sum(n for n, _ in passes)} images in {len(passes)} batched passes, "
          f"the model's pass {in_pass:.0f} ms/image inside the worker")
    print(f"raw LiteRT, batches of {batch}: {raw * 1000:.1f} ms/image ({1 / raw:.0f} images/s) | classify, same "
          f"batches: {classify * 1000:.1f} ms/image ({classify / raw:.2f}x raw)")
    print(f"backlogs drained in {' and '.join(f'{d:.1f}' for d in drains)} s; best {per_image * 1000:.1f} ms/image "
          f"({1 / per_image:.0f} images/s) = {raw / per_image:.2f}x raw batched throughput (target >= 0.8x), "
          f"{classify / per_image:.2f}x classify's")
    print(f"worker RSS: {rss[0]:.0f} MB loaded and warm, {rss[1]:.0f} MB after {N_IMAGES} images, {rss[2]:.0f} MB "
          f"after {2 * N_IMAGES} ({rss[2] - rss[1]:+.0f} MB over the second backlog)")


if __name__ == "__main__":
    main()
