"""The value history's cost (dermplatform.audit.history): on writes, and reading it in the admin on a long history.

Real parts: the configured database (PostgreSQL with `make bench`; the history is PostgreSQL's), the triggers of the
migrations, the admin pages through Django's test client as a platform admin past the second factor.

Writes: one patient updated through the ORM, per update. Baseline in the same run: the same updates with the
patient table's triggers disabled (inside a transaction rolled back); then triggers on; then triggers on inside a
request's history context (pghistory prefixes each write with set_config()).

Reading: BENCH_HISTORY_PATIENTS patients (default 2,000) updated 10 times each by SQL, so their event table holds
11 rows each. The admin's patient-event pages (first page; one patient by public id) against the baseline of the first
version, pghistory's cross-table Events view over the same table with the same filter (its query alone, no page).
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dermplatform.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")
django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from bench.timing import fastest_interleaved  # noqa: E402
from bench.world import bench_staff  # noqa: E402

UPDATES = int(os.environ.get("BENCH_HISTORY_UPDATES", "300"))
PATIENTS = int(os.environ.get("BENCH_HISTORY_PATIENTS", "2000"))


def _write_cost(staff) -> None:
    import pghistory

    from patients.models import Patient

    patient = Patient.objects.create(clinic=staff.clinic, medical_record_number="HB-0", first_name="Bench",
                                     last_name="Writes", date_of_birth="1970-01-01", created_by=staff)

    def updates(*, triggers: bool, context: bool):
        def run():
            with transaction.atomic():
                if not triggers:
                    with connection.cursor() as cursor:
                        cursor.execute("ALTER TABLE patients_patient DISABLE TRIGGER USER")
                scope = pghistory.context(user=staff.pk, request_id="bench") if context else None
                if scope:
                    scope.__enter__()
                for n in range(UPDATES):
                    Patient.objects.filter(pk=patient.pk).update(first_name=f"Bench{n % 2}")
                if scope:
                    scope.__exit__(None, None, None)
                transaction.set_rollback(True)
        return run

    off, on, in_request = fastest_interleaved(
        updates(triggers=False, context=False), updates(triggers=True, context=False),
        updates(triggers=True, context=True), repeat=5,
    )
    print(f"patient update, {UPDATES} per round (fastest of 5, interleaved):")
    for label, seconds in (("no history (baseline)", off), ("history triggers", on),
                           ("triggers + request context", in_request)):
        print(f"  {label:28s} {seconds / UPDATES * 1e6:8.0f} us/update   x{seconds / off:.2f}")


def _admin_cost(staff) -> None:
    from dermplatform.audit.models import ValueChange
    from patients.models import Patient
    from tests.factories import AdminFactory
    from tests.two_factor import two_factor_verify_session

    patients = Patient.objects.bulk_create([
        Patient(clinic=staff.clinic, medical_record_number=f"HB-{n + 1}", first_name="Bench", last_name=f"P{n}",
                date_of_birth="1970-01-01", created_by=staff)
        for n in range(PATIENTS)
    ])
    with connection.cursor() as cursor:
        for n in range(10):
            cursor.execute("UPDATE patients_patient SET last_name = last_name || %s WHERE clinic_id = %s",
                           [str(n), staff.clinic_id])
        cursor.execute("SELECT count(*) FROM patients_patientevent")
        rows = cursor.fetchone()[0]
    admin = AdminFactory(username=f"bench-admin-{staff.clinic_id}")
    client = Client()
    client.force_login(admin)
    two_factor_verify_session(client, admin)
    target = patients[-1]

    def page(params):
        def run():
            response = client.get("/admin/patients/patientevent/", params)
            if response.status_code != 200:
                raise RuntimeError(f"admin page answered {response.status_code}")
        return run

    def events_view(**filters):
        def run():
            events = ValueChange.objects.across("patients.PatientEvent").filter(**filters)
            events = events.order_by("-pgh_created_at", "-pgh_id")
            events.count()
            list(events[:100])
        return run

    print(f"value history admin, {rows} patient events in the table (fastest of 3, interleaved):")
    for label, new, old in (
        ("first page, newest first", page({}), events_view()),
        ("one patient by public id", page({"q": str(target.public_id)}),
         events_view(pgh_data__public_id=str(target.public_id))),
    ):
        now, before = fastest_interleaved(new, old, repeat=3)
        print(f"  {label:26s} admin page {now * 1000:6.0f} ms   Events view (baseline) {before * 1000:6.0f} ms"
              f"   x{before / now:.1f} faster")


def main() -> None:
    if connection.vendor != "postgresql":
        print("skipped: the value history is kept by PostgreSQL triggers")
        return
    staff = bench_staff()
    _write_cost(staff)
    _admin_cost(staff)


if __name__ == "__main__":
    main()
