"""Load bench: the platform under gunicorn on loopback, driven by locust. `python -m bench.load.site`
(`make bench-load`); needs DATABASE_URL (PostgreSQL, a scratch database) and CELERY_BROKER_URL (Redis).

1. Sign-in burst: 50 people sign in at once while one signed-in user keeps loading the patient list; that
   page's latency during the burst and the burst's length, with the machine-wide password-hashing limit off (the
   baseline), with its slots but an unbounded wait, and on as by default (dermplatform.accounts.hashing_slots).
   A "busy, try again" answer is tried again after its Retry-After, as a person would.
2. Browsing: 50 locust users (40 staff: patient list, patient, case, uploads of 640×480 JPEGs; 10
   dermatologists: review queue, case review) for 60 s against 10,000 cases waiting for review: requests,
   failures, p50/p95 per page. Exits non-zero on any failure.
3. Three 48-megapixel uploads at once: peak memory of the web workers with one large-decode slot (the default)
   against three (the baseline: every decode at once).

Tasks the uploads queue stay on the broker (no worker runs here). BENCH_LOAD_PHASES=1 runs only the sign-in burst
(1,2,3 by default).
"""

import csv
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
USERS = 50
CASES = 10_000
DURATION = os.environ.get("BENCH_LOAD_DURATION", "60s")
PASSWORD = "bench-load-password-7"  # noqa: S105  the bench accounts' password, on a scratch database
GUNICORN_WORKERS = 3


def _setup_django():
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a scratch PostgreSQL database (and CELERY_BROKER_URL to Redis).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dermplatform.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()


# --- data --------------------------------------------------------------------------------------------------


def seed() -> dict:
    """The bench clinic, made once: 100 accounts, 2,000 patients, 10,000 cases waiting for review, 200 cases
    with an image, 200 draft cases for uploads. Returns the accounts for locust."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import transaction

    from dermplatform.accounts.models import Clinic, Role, User
    from patients import services
    from patients.models import Case, CaseStatus, Lesion, Patient
    from tests.images import jpeg_bytes, upload

    call_command("migrate", verbosity=0)
    clinic, created = Clinic.objects.get_or_create(name="Load bench clinic")
    if created:
        hashed = make_password(PASSWORD)
        users = [User(username=f"bench-{role}-{i}", role=role, clinic=clinic, password=hashed)
                 for role in (Role.STAFF, Role.DERMATOLOGIST) for i in range(USERS + 1)]
        User.objects.bulk_create(users)
        author = User.objects.get(username="bench-staff-0")
        patients = Patient.objects.bulk_create(
            Patient(clinic=clinic, medical_record_number=f"B{i:06d}", first_name=f"First{i}", last_name=f"Last{i}",
                    date_of_birth="1960-01-01", created_by=author) for i in range(CASES // 5))
        lesions = Lesion.objects.bulk_create(
            Lesion(patient=patients[i % len(patients)], body_site="back", created_by=author) for i in range(CASES + 400))
        Case.objects.bulk_create(
            Case(patient=lesion.patient, lesion=lesion, body_site="back", created_by=author,
                 status=CaseStatus.AWAITING_REVIEW if i < CASES else CaseStatus.DRAFT)
            for i, lesion in enumerate(lesions))
        # Images through the real service, without queueing them (no worker here).
        services._announce_stored = lambda image_ids: None
        for i, case in enumerate(Case.objects.filter(patient__clinic=clinic, status=CaseStatus.DRAFT)[:200]):
            with transaction.atomic():
                services.images_upload(case=case, files=[upload(jpeg_bytes(seed=i))], uploaded_by=author)
            Case.objects.filter(pk=case.pk).update(status=CaseStatus.AWAITING_REVIEW)
    cases = Case.objects.filter(patient__clinic=clinic)
    with_images = [str(c) for c in cases.filter(images__isnull=False).values_list("public_id", flat=True)[:200]]
    waiting = [str(c) for c in cases.filter(status=CaseStatus.AWAITING_REVIEW).values_list("public_id", flat=True)[:500]]
    drafts = [str(c) for c in cases.filter(status=CaseStatus.DRAFT).values_list("public_id", flat=True)[:150]]
    patients = [str(p) for p in Patient.objects.filter(clinic=clinic).values_list("public_id", flat=True)[:500]]
    staff = [{"username": f"bench-staff-{i}", "password": PASSWORD, "patients": patients, "cases": with_images,
              "upload_cases": drafts[:100]} for i in range(1, USERS + 1)]
    derms = [{"username": f"bench-dermatologist-{i}", "password": PASSWORD, "cases": waiting}
             for i in range(1, USERS + 1)]
    return {"staff": staff, "dermatologist": derms, "large_upload_cases": drafts[100:]}


# --- the server --------------------------------------------------------------------------------------------


class Gunicorn:
    """A running gunicorn: its address, and the memory of its workers."""

    def __init__(self, process: subprocess.Popen, url: str):
        self.process, self.url = process, url

    def worker_rss_bytes(self) -> int:
        """Resident memory of the master's worker processes together."""
        total = 0
        for pid in Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except FileNotFoundError:
                pass
        return total


@contextmanager
def gunicorn(**env):
    """The platform under gunicorn on a free loopback port, with these settings added to the environment; yields
    once /healthz answers, and stops it on the way out."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(  # noqa: S603  our own gunicorn
        [str(BIN / "gunicorn"), "dermplatform.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(GUNICORN_WORKERS), "--timeout", "120", "--log-level", "warning"],
        cwd=ROOT, env={**os.environ, "DJANGO_DEBUG": "0", "PYTHONWARNINGS": "ignore:No directory at", **env},
    )
    server = Gunicorn(process, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 90
        while not _healthy(server.url):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.3)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def _healthy(url: str) -> bool:
    import requests

    try:
        return requests.get(f"{url}/healthz", timeout=30).status_code == 200
    except requests.RequestException:
        return False


def signed_in_session(url: str, username: str, refusals: list | None = None):
    """A session signed in through the sign-in page. A "busy, try again" answer (429 with Retry-After) is tried
    again after the seconds it asks for, as a person would; each is counted in `refusals`."""
    import re

    import requests

    session = requests.Session()
    page = session.get(f"{url}/accounts/login/", timeout=60)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    while True:
        answer = session.post(f"{url}/accounts/login/", timeout=120, allow_redirects=False,
                              data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})
        if answer.status_code != 429 or "Retry-After" not in answer.headers:
            break
        if refusals is not None:
            refusals.append(username)
        time.sleep(float(answer.headers["Retry-After"]))
    if answer.status_code != 302 or "/login/" in answer.headers["Location"]:
        raise RuntimeError(f"{username} could not sign in: {answer.status_code}")
    return session


def _percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


# --- 1. sign-in burst --------------------------------------------------------------------------------------


SIGN_IN_LIMITS = (
    # label, settings: the baseline first; the platform's defaults (cores - 1 slots, as many waiting places) last.
    ("limit off (baseline)", {"DERM_SIGN_IN_SLOTS": "0"}),
    ("slots, unbounded wait", {"DERM_SIGN_IN_WAITING": "1000", "DERM_SIGN_IN_WAIT": "120"}),
    ("slots, no waiting", {"DERM_SIGN_IN_WAITING": "0"}),
    ("limit on (default)", {}),
)
SIGN_IN_ROUNDS = int(os.environ.get("BENCH_SIGN_IN_ROUNDS", "3"))  # bursts per setting, the probe's timings pooled


def sign_in_burst(server, accounts) -> dict:
    probe = signed_in_session(server.url, "bench-staff-0")
    latencies, stop, refusals = [], threading.Event(), []
    time.sleep(2)  # the previous round's refused sign-ins are done waiting

    def keep_loading():
        while not stop.is_set():
            started = time.perf_counter()
            if probe.get(f"{server.url}/patients/", timeout=120).status_code != 200:
                raise RuntimeError("the patient list failed during the burst")
            latencies.append(time.perf_counter() - started)

    quiet = []
    for _ in range(10):
        started = time.perf_counter()
        probe.get(f"{server.url}/patients/", timeout=60)
        quiet.append(time.perf_counter() - started)
    loader = threading.Thread(target=keep_loading)
    load_before = os.getloadavg()[0]
    loader.start()
    started = time.perf_counter()
    burst = [threading.Thread(target=signed_in_session, args=(server.url, a["username"], refusals)) for a in accounts]
    for thread in burst:
        thread.start()
    for thread in burst:
        thread.join()
    burst_seconds = time.perf_counter() - started
    stop.set()
    loader.join()
    return {"burst_s": burst_seconds, "quiet": quiet, "latencies": latencies, "refusals": len(refusals),
            "load": (load_before, os.getloadavg()[0])}


def _pooled(rounds: list[dict]) -> dict:
    """The probe's timings of every round together; the median round's burst length; the refusals per round."""
    latencies = [t for r in rounds for t in r["latencies"]]
    return {"burst_s": statistics.median(r["burst_s"] for r in rounds),
            "quiet_p50": statistics.median(t for r in rounds for t in r["quiet"]),
            "p50": statistics.median(latencies), "p95": _percentile(latencies, 0.95), "max": max(latencies),
            "n": len(latencies), "refusals": statistics.mean(r["refusals"] for r in rounds),
            "load": (rounds[0]["load"][0], rounds[-1]["load"][1])}


def run_sign_in_bursts(accounts) -> None:
    from django.conf import settings
    from django.contrib.auth.hashers import make_password

    from dermplatform.accounts.models import User

    names = [a["username"] for a in accounts["staff"]] + ["bench-staff-0"]
    User.objects.filter(username__in=names).update(password=make_password(PASSWORD))  # Argon2id, as stored now
    results = {}
    for label, limits in SIGN_IN_LIMITS:
        with gunicorn(**limits) as server:  # (django.request logs each busy 429 on stderr)
            results[label] = _pooled([sign_in_burst(server, accounts["staff"]) for _ in range(SIGN_IN_ROUNDS)])
    print(f"\n1. {USERS} sign-ins at once (Argon2id), {SIGN_IN_ROUNDS} rounds per setting; the patient list loaded "
          f"meanwhile by a signed-in user ({GUNICORN_WORKERS} gunicorn sync workers, {os.cpu_count()} cores; default limit: "
          f"{settings.DERM_SIGN_IN_SLOTS} hashing slot(s), {settings.DERM_SIGN_IN_WAITING} waiting, "
          f"{settings.DERM_SIGN_IN_WAIT} s wait)")
    print(f"   {'password hashing':24} {'burst s':>8} {'busy 429s':>9} {'list p50 s':>11} {'list p95 s':>11} "
          f"{'list max s':>11} {'loads':>6} {'load 1m':>11}")
    for label, r in results.items():
        print(f"   {label:24} {r['burst_s']:8.2f} {r['refusals']:9.1f} {r['p50']:11.3f} {r['p95']:11.3f} {r['max']:11.3f} "
              f"{r['n']:6d} {r['load'][0]:5.2f}>{r['load'][1]:5.2f}")
    print("   (burst s: the median round's time until all have signed in; busy 429s: per round; loads: patient list "
          "loads during the bursts; load 1m: the machine's load average before the first round > after the last)")
    base = results[SIGN_IN_LIMITS[0][0]]
    print(f"   patient list when quiet: p50 {base['quiet_p50']:.3f} s")
    for label, r in list(results.items())[1:]:
        print(f"   ratios {label} / baseline: list p50 {r['p50'] / base['p50']:.2f}, list p95 {r['p95'] / base['p95']:.2f}, "
              f"burst {r['burst_s'] / base['burst_s']:.2f}")


# --- 2. browsing -------------------------------------------------------------------------------------------


def run_browsing(accounts) -> int:
    with tempfile.TemporaryDirectory() as folder, gunicorn() as server:
        users_file = Path(folder) / "users.json"
        users_file.write_text(json.dumps({"staff": accounts["staff"], "dermatologist": accounts["dermatologist"]}))
        prefix = Path(folder) / "locust"
        subprocess.run(  # noqa: S603  our own locust
            [str(BIN / "locust"), "-f", str(ROOT / "bench" / "load" / "locustfile.py"), "--headless",
             "--users", str(USERS), "--spawn-rate", str(USERS), "--run-time", DURATION, "--host", server.url,
             "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0"],
            cwd=ROOT, env={**os.environ, "BENCH_USERS_FILE": str(users_file)}, check=True,
        )
        with open(f"{prefix}_stats.csv") as stats, open(f"{prefix}_failures.csv") as failed:
            rows, failures = list(csv.DictReader(stats)), list(csv.DictReader(failed))
    print(f"\n2. {USERS} locust users for {DURATION} ({GUNICORN_WORKERS} gunicorn sync workers, {CASES:,} cases waiting)")
    print(f"   {'page':26} {'requests':>9} {'failures':>9} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}")
    total_failures = 0
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "all"
        total_failures += int(row["Failure Count"]) if name != "all" else 0
        print(f"   {name:26} {row['Request Count']:>9} {row['Failure Count']:>9} {row['50%']:>7} {row['95%']:>7} "
              f"{float(row['Max Response Time']):7.0f}")
    aggregated = next(r for r in rows if r["Name"] == "Aggregated")
    print(f"   {float(aggregated['Requests/s']):.1f} requests/s; failures: {total_failures}")
    for failure in failures:
        print(f"   FAILURE {failure['Method']} {failure['Name']}: {failure['Error']} ×{failure['Occurrences']}")
    return total_failures


# --- 3. large uploads --------------------------------------------------------------------------------------


def _photo_48mp() -> bytes:
    import io

    from PIL import Image

    width, height = 8000, 6000
    red = Image.linear_gradient("L").resize((width, height))
    green = red.rotate(90).resize((width, height))
    blue = Image.radial_gradient("L").resize((width, height))
    out = io.BytesIO()
    Image.merge("RGB", (red, green, blue)).save(out, "JPEG", quality=85)
    return out.getvalue()


def large_uploads(server, cases, photo) -> dict:
    import re

    sessions = [signed_in_session(server.url, f"bench-staff-{i}") for i in (1, 2, 3)]
    idle = server.worker_rss_bytes()
    peak, stop, outcomes = [idle], threading.Event(), []

    def sample():
        while not stop.is_set():
            peak.append(server.worker_rss_bytes())
            time.sleep(0.05)

    def send(session, case):
        page = session.get(f"{server.url}/cases/{case}/", timeout=60)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        answer = session.post(f"{server.url}/cases/{case}/images/", data={"csrfmiddlewaretoken": token},
                              files={"images": ("photo.jpg", photo, "image/jpeg")}, allow_redirects=False, timeout=300)
        outcomes.append(answer.status_code == 302 and "upload-errors" not in answer.headers["Location"])

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    senders = [threading.Thread(target=send, args=(s, c)) for s, c in zip(sessions, cases, strict=True)]
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join()
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    return {"idle": idle, "peak": max(peak), "seconds": seconds, "stored": sum(outcomes)}


def run_large_uploads(accounts) -> None:
    from patients.models import Case, CaseStatus

    photo = _photo_48mp()
    cases = accounts["large_upload_cases"]
    results = {}
    for slots, label in ((3, "3 slots (baseline)"), (1, "1 slot (default)")):
        Case.objects.filter(public_id__in=cases).update(status=CaseStatus.DRAFT)
        for case in Case.objects.filter(public_id__in=cases):
            case.images.all().delete()
        with gunicorn(DERM_LARGE_DECODE_SLOTS=str(slots), DERM_LARGE_DECODE_WAIT="120") as server:
            results[label] = large_uploads(server, cases[:3], photo)
    mib = 1024 * 1024
    print(f"\n3. Three 48-megapixel JPEG uploads ({len(photo) / mib:.1f} MiB each) at once, "
          f"{GUNICORN_WORKERS} gunicorn workers")
    print(f"   {'large-decode slots':20} {'stored':>6} {'seconds':>8} {'workers idle MiB':>17} {'peak MiB':>9} {'above idle MiB':>15}")
    for label, r in results.items():
        print(f"   {label:20} {r['stored']:>6} {r['seconds']:8.1f} {r['idle'] / mib:17.0f} {r['peak'] / mib:9.0f} "
              f"{(r['peak'] - r['idle']) / mib:15.0f}")
    base, now = results["3 slots (baseline)"], results["1 slot (default)"]
    print(f"   ratio of memory above idle, default/baseline: {(now['peak'] - now['idle']) / (base['peak'] - base['idle']):.2f}")


def main() -> int:
    _setup_django()
    accounts = seed()
    phases = os.environ.get("BENCH_LOAD_PHASES", "1,2,3").split(",")
    failures = 0
    if "1" in phases:
        run_sign_in_bursts(accounts)
    if "2" in phases:
        failures = run_browsing(accounts)
    if "3" in phases:
        run_large_uploads(accounts)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
