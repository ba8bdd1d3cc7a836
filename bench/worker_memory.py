"""What one inference worker pool process holds in memory once it has settled, for sizing machines.

Real parts: the configured database (PostgreSQL with `make bench`), the Redis broker, one `celery worker` with a
prefork pool of DERM_BENCH_POOL (2) processes serving the active model (LiteRT), as deployed. Two backlogs of
BENCH_MEMORY_BACKLOG (64) uploads (600x450 JPEG) are queued at once and drained in batches; each pool process's
resident set (RSS) and proportional share (PSS: pages shared with the main process counted once across them) is
read after the warm-up and after each backlog. Baselines, same run, same interpreter: a process with Django set
up and nothing else, and a process holding the model alone (loaded, converted, one batch classified).
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.ai_latency import ROOT, _image_bytes  # noqa: F401  (sets Django up)

N_IMAGES = int(os.environ.get("BENCH_MEMORY_BACKLOG", "64"))
POOL = int(os.environ.get("DERM_BENCH_POOL", "2"))
PER_CASE = 20  # the most one upload takes

_BARE = "import django; django.setup(); print('ready', flush=True); import time; time.sleep(3600)"
_MODEL = (
    "import django; django.setup()\n"
    "from diagnosis.inference.model_registry import model_version_active, predictor_for\n"
    "from bench.ai_latency import _image_bytes\n"
    "import io; from PIL import Image\n"
    "p = predictor_for(model_version_active())\n"
    "from django.conf import settings\n"
    "p.classify([Image.open(io.BytesIO(_image_bytes(i))) for i in range(settings.DERM_AI_BATCH_SIZE)])\n"
    "print('ready', flush=True); import time; time.sleep(3600)\n"
)


def _mib(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of a process in MiB."""
    rss = pss = float("nan")
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Rss:"):
            rss = int(line.split()[1]) / 1024
        elif line.startswith("Pss:"):
            pss = int(line.split()[1]) / 1024
    return rss, pss


def _baseline(code: str) -> tuple[float, float]:
    proc = subprocess.Popen(  # noqa: S603  this file's own code
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError("baseline process did not start")
        time.sleep(1)
        return _mib(proc.pid)
    finally:
        proc.kill()
        proc.wait()


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout  # noqa: S603,S607
    return [int(p) for p in out.split()]


def _start_prefork_worker(log_path: Path) -> subprocess.Popen:
    proc = subprocess.Popen(  # noqa: S603  a fixed command line
        [sys.executable, "-m", "celery", "-A", "dermplatform", "worker", "-Q", "default,inference", "--pool",
         "prefork", "--concurrency", str(POOL), "--loglevel", "INFO", "--without-gossip", "--without-mingle",
         "--without-heartbeat"],
        cwd=ROOT, stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while "ready." not in log_path.read_text() or len(_children(proc.pid)) < POOL:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"worker did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)
    return proc


def main() -> None:
    from django.conf import settings

    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        print("needs CELERY_BROKER_URL=redis://... and a database (make bench sets both): skipped")
        return
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import transaction

    from bench.world import bench_staff
    from diagnosis.inference.model_registry import model_version_active
    from diagnosis.models import Prediction
    from patients.services import images_upload
    from tests.factories import CaseFactory, PatientFactory

    call_command("migrate", verbosity=0)
    version = model_version_active()
    bare = _baseline(_BARE)
    model = _baseline(_MODEL)
    staff = bench_staff()
    with tempfile.TemporaryDirectory() as tmp:
        worker = _start_prefork_worker(Path(tmp) / "worker.log")
        try:
            time.sleep(2)
            pool = _children(worker.pid)
            readings = [[_mib(pid) for pid in pool]]
            for backlog in range(2):  # the second tells growth from the allocator's first high-water mark
                data = [_image_bytes(20_000 + backlog * N_IMAGES + i) for i in range(N_IMAGES)]
                images = []
                with transaction.atomic():  # every message goes out at the commit
                    for start in range(0, N_IMAGES, PER_CASE):
                        case = CaseFactory(patient=PatientFactory(clinic=staff.clinic, created_by=staff),
                                           created_by=staff)
                        files = [SimpleUploadedFile(f"m{i}.jpg", data[i], "image/jpeg")
                                 for i in range(start, min(N_IMAGES, start + PER_CASE))]
                        images += images_upload(case=case, files=files, uploaded_by=staff)
                started = time.monotonic()
                while Prediction.objects.filter(image__in=images).count() < len(images):
                    if time.monotonic() - started > 900:
                        raise RuntimeError("backlog not drained within 15 minutes")
                    time.sleep(0.2)
                time.sleep(2)
                readings.append([_mib(pid) for pid in pool])
            main_rss, main_pss = _mib(worker.pid)
        finally:
            worker.terminate()
            worker.wait(timeout=60)
    settled_rss = max(rss for rss, _ in readings[-1])
    settled_pss = max(pss for _, pss in readings[-1])
    print(f"{version.name} on {os.environ.get('DERM_INFERENCE_RUNTIME', 'litert')}, prefork pool of {POOL}, "
          f"DERM_AI_BATCH_SIZE={settings.DERM_AI_BATCH_SIZE}, 2 x {N_IMAGES} uploads")
    for label, reading in zip(("warm", f"after {N_IMAGES}", f"after {2 * N_IMAGES}"), readings, strict=True):
        print(f"  pool processes {label}: " + ", ".join(f"{rss:.0f} MiB RSS / {pss:.0f} PSS" for rss, pss in reading))
    print(f"baselines: Django alone {bare[0]:.0f} MiB RSS, the model alone (loaded, one batch) {model[0]:.0f} MiB RSS")
    print(f"one pool process settles at {settled_rss:.0f} MiB RSS ({settled_rss / 1024:.2f} GiB) = "
          f"{settled_rss / bare[0]:.1f}x Django alone, {settled_rss / model[0]:.2f}x the model alone; "
          f"PSS {settled_pss:.0f} MiB; the main process {main_rss:.0f} MiB RSS / {main_pss:.0f} PSS")
    print(f"sizing: main + N pool processes ~ {main_pss:.0f} + N x {settled_pss:.0f} MiB")


if __name__ == "__main__":
    main()
