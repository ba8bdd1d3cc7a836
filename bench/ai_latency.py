"""Upload to stored prediction, one image at a time on an idle worker, against the raw model time.

Real parts: the configured database (PostgreSQL with `make bench`), the Redis broker, a `celery worker` process
serving the active model (LiteRT), the upload service the pages and API use. Baseline: the raw LiteRT call on the
same image's four flip views, in this process. Target (issue 8): p50 <= 1.2 x raw + 30 ms.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dermplatform.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
N_UPLOADS = int(os.environ.get("BENCH_UPLOADS", "20"))


def _image_bytes(seed: int) -> bytes:
    import io

    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    pixels = np.clip(np.array([190, 140, 120]) + rng.normal(0, 25, (450, 600, 3)), 0, 255).astype("uint8")
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=90)
    return out.getvalue()


def _start_worker(log_path: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dermplatform", "worker", "-Q", "default,inference", "--pool", "solo",
         "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while "ready." not in log_path.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"worker did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)
    return proc


def main() -> None:
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        print("needs CELERY_BROKER_URL=redis://... and a database (make bench sets both): skipped")
        return
    import numpy as np

    from diagnosis.inference.model_registry import model_version_active, predictor_for
    from diagnosis.models import Prediction
    from ml.serving.clinical_metadata import encode_many
    from ml.serving.predictor import flip_views
    from patients.services import images_upload
    from bench.world import bench_staff
    from tests.factories import CaseFactory, PatientFactory

    call_command("migrate", verbosity=0)
    version = model_version_active()
    predictor = predictor_for(version)
    staff = bench_staff()
    images = [_image_bytes(i) for i in range(N_UPLOADS)]

    from PIL import Image
    import io

    x = predictor.preprocess([Image.open(io.BytesIO(images[0]))])
    views = flip_views(x).astype(np.float32)
    inputs = {"image": views, "metadata": np.tile(encode_many(None, 1), (4, 1))} if predictor.uses_metadata else views
    predictor._forward(inputs)
    raw = statistics.median([_timed(lambda: predictor._forward(inputs)) for _ in range(10)])

    with tempfile.TemporaryDirectory() as tmp:
        worker = _start_worker(Path(tmp) / "worker.log")
        try:
            latencies = []
            for i, data in enumerate(images):
                case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff), created_by=staff)
                started = time.perf_counter()
                [image] = images_upload(case=case, files=[SimpleUploadedFile(f"l{i}.jpg", data, "image/jpeg")],
                                        uploaded_by=staff)
                while not Prediction.objects.filter(image=image).exists():
                    if time.perf_counter() - started > 60:
                        raise RuntimeError("no prediction within 60 s")
                    time.sleep(0.002)
                latencies.append(time.perf_counter() - started)
                time.sleep(0.2)  # idle worker for the next upload
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    p50, p95 = np.percentile(latencies, 50), np.percentile(latencies, 95)
    print(f"{predictor!r} on {predictor.runtime}; {N_UPLOADS} single uploads (600x450 JPEG)")
    print(f"raw model (4 flip views): {raw * 1000:.1f} ms")
    print(f"upload -> stored prediction: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; "
          f"p50 = {p50 / raw:.1f}x raw (target <= 1.2x raw + 30 ms = {(1.2 * raw + 0.03) * 1000:.0f} ms)")


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
