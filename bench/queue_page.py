"""The review queue page with 100, 1,000 and 10,000 cases waiting in one clinic (issue 9: p95 <= 50 ms at 10,000).

Real parts: the configured database (PostgreSQL with `make bench`), the whole page (URL routing, middleware with
its audit event, view, template) through Django's test client as a signed-in dermatologist. The cases are written
in bulk (patients, lesions, cases, one image row and one AI opinion each; 1 in 10 also reviewed) and placed in the
queue by diagnosis.triage, as the services do after each AI opinion.

Baseline, measured in the same run on the same rows: the queue as it was read before (every waiting case's flags
and risk aggregated from its predictions at each request, once for the count and once for the page).
"""

import os
import re
import statistics
import time
import uuid

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dermplatform.settings")
# As served in production: templates compiled once (the cached loader), no query log.
os.environ.setdefault("DJANGO_DEBUG", "0")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

SIZES = [int(n) for n in os.environ.get("BENCH_QUEUE_SIZES", "100,1000,10000").split(",")]
REQUESTS = int(os.environ.get("BENCH_QUEUE_REQUESTS", "60"))
CLASSES = ["akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"]


def _grow(clinic, staff, version, start: int, stop: int) -> None:
    """Add waiting cases number start..stop-1 to the clinic (and one reviewed case per ten)."""
    import random

    from diagnosis.models import Prediction, Review
    from diagnosis.triage import triage_refresh
    from patients.models import Case, CaseStatus, Lesion, LesionImage, Patient

    rng = random.Random(start)  # noqa: S311  (made-up bench data, nothing secret)
    now = timezone.now()
    sites = ["back", "face", "chest", "trunk", "upper extremity", "lower extremity"]
    for chunk in range(start, stop, 1000):
        numbers = range(chunk, min(chunk + 1000, stop))
        patients = Patient.objects.bulk_create([
            Patient(clinic=clinic, medical_record_number=f"B{clinic.pk}-{n}", first_name="Bench", last_name=f"P{n}",
                    date_of_birth="1970-01-01", created_by=staff)
            for n in numbers
        ])
        lesions = Lesion.objects.bulk_create([
            Lesion(patient=p, body_site=rng.choice(sites), created_by=staff) for p in patients
        ])
        reviewed = {n for n in numbers if n % 10 == 9}
        cases = Case.objects.bulk_create([
            Case(patient=p, lesion=lesion, body_site=lesion.body_site, created_by=staff,
                 status=CaseStatus.REVIEWED if n in reviewed else CaseStatus.AWAITING_REVIEW)
            for n, p, lesion in zip(numbers, patients, lesions, strict=True)
        ])
        # Opened over the last 60 days (auto_now_add ignores a value given at creation).
        for case in cases:
            case.created_at = now - timezone.timedelta(minutes=rng.randrange(60 * 24 * 60))
        Case.objects.bulk_update(cases, ["created_at"])
        images = LesionImage.objects.bulk_create([
            LesionImage(case=case, image=f"bench/{case.public_id}.jpg", thumbnail=f"bench/{case.public_id}-t.jpg",
                        content_type="image/jpeg", width=600, height=450, sha256=uuid.uuid4().hex * 2, size_bytes=1,
                        uploaded_by=staff)
            for case in cases
        ])
        predictions = []
        for image in images:
            risk = rng.random() ** 2
            mel = risk * rng.random()
            rest = (1 - risk) / 4
            probabilities = {"akiec": (risk - mel) / 2, "bcc": (risk - mel) / 2, "mel": mel, "bkl": rest, "df": rest,
                             "nv": rest, "vasc": rest}
            predictions.append(Prediction(
                image=image, model_version=version, probabilities=probabilities, top_class=max(probabilities, key=probabilities.get),
                confidence=max(probabilities.values()), malignancy_risk=risk, mel_score=mel, mel_flag=mel >= 0.3,
                mel_threshold=0.3, malignant_flag=risk >= 0.5, malignant_threshold=0.5, duration_ms=50,
                assessable=rng.random() > 0.02,
            ))
        Prediction.objects.bulk_create(predictions)
        Review.objects.bulk_create([
            Review(case=case, reviewer=staff.bench_dermatologist, decision="confirm", diagnosis="nv", plan="reassure")
            for case in cases if case.status == CaseStatus.REVIEWED
        ])
        triage_refresh(case_ids=[case.pk for case in cases])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _legacy_queue(user):
    """The queue as read before triage was stored: aggregated from the predictions at each request."""
    from diagnosis.triage import with_flags
    from django.db.models import F
    from patients.models import Case, CaseStatus

    return (
        with_flags(Case.objects.visible_to(user).active().filter(status=CaseStatus.AWAITING_REVIEW))
        .select_related("patient")
        .order_by("flag_rank", F("risk").desc(nulls_last=True), "created_at", "pk")
    )


def _times(fn, n: int) -> tuple[float, float]:
    fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(round(0.95 * len(samples))) - 1)]


def main() -> None:
    from django.conf import settings

    if settings.DEBUG:
        print("note: DEBUG is on (templates are read again at each request); DJANGO_DEBUG=0 measures as served")
    if connection.vendor != "postgresql":
        print("needs DATABASE_URL=postgres://... (make bench sets it): skipped")
        return
    from dermplatform.accounts.models import Clinic, Role, User
    from diagnosis.review import queue
    from diagnosis.models import CaseTriage, ModelVersion

    call_command("migrate", verbosity=0)
    tag = uuid.uuid4().hex[:8]
    clinic = Clinic.objects.create(name=f"Queue bench {tag}")
    staff = User.objects.create_user(f"qb-staff-{tag}", password=None, role=Role.STAFF, clinic=clinic)
    derm = User.objects.create_user(f"qb-derm-{tag}", password=None, role=Role.DERMATOLOGIST, clinic=clinic,
                                    first_name="Bench", last_name="Derm")
    staff.bench_dermatologist = derm
    version = ModelVersion.objects.filter(sha256="b" * 64).first() or ModelVersion.objects.create(
        name="bench", sha256="b" * 64, directory="/nowhere", classes=CLASSES)
    client = Client()
    client.force_login(derm)

    def legacy():
        queue = _legacy_queue(derm)
        queue.count()
        list(queue[:25])

    print(f"{'waiting':>8} {'page p50':>9} {'page p95':>9} {'filtered p95':>13} {'last page p95':>14} "
          f"{'legacy p50':>11} {'legacy p95':>11} {'legacy/page p50':>16}")
    built = 0
    for size in SIZES:
        total = size + size // 9  # and the reviewed ones beside them
        _grow(clinic, staff, version, built, total)
        built = total
        response = client.get("/review/")
        if response.status_code != 200:
            raise RuntimeError(f"the queue page answered {response.status_code}")
        html = response.content.decode()
        waiting = int(re.search(r"<strong>(\d+)</strong> waiting", html).group(1))
        # The last page: the cursor of the row just before it (a keyset page costs the same at any depth).
        before_last = CaseTriage.objects.filter(clinic=clinic, waiting=True).order_by(*queue.ORDER)[waiting - 26]
        cursor = queue._cursor(before_last)
        p50, p95 = _times(lambda: client.get("/review/"), REQUESTS)
        _, f95 = _times(lambda: client.get("/review/", {"flag": "none", "risk": "low", "body_site": "face"}), REQUESTS)
        last_page = {"after": cursor}
        if 'data-testid="next-page"' in client.get("/review/", last_page).content.decode():
            raise RuntimeError("the last page's cursor did not give the last page")
        _, n95 = _times(lambda last_page=last_page: client.get("/review/", last_page), REQUESTS)
        l50, l95 = _times(legacy, max(10, REQUESTS // 4))
        print(f"{waiting:>8} {p50:>7.1f}ms {p95:>7.1f}ms {f95:>11.1f}ms {n95:>12.1f}ms "
              f"{l50:>9.1f}ms {l95:>9.1f}ms {l50 / p50:>15.1f}x")


if __name__ == "__main__":
    main()
