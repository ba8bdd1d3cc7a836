"""The application's database role cannot alter or erase the audit trail or the value history, and the platform
works as that role (dermplatform.audit.db_roles, `manage.py db_roles`).

The test database is created and migrated by postgres, the owner here; the application role is made on it by the
same command a deployment runs. Roles are cluster-wide: its name carries the test database's name, so parallel
runs on other databases never share one, and a role left by an earlier run is simply brought up to date.
"""

import http.cookiejar
import os
import re
import secrets
import subprocess
import sys
import urllib.parse
import urllib.request

import psycopg2
import psycopg2.errors
import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models.sql import InsertQuery
from django.test import Client, override_settings
from django.urls import reverse

from dermplatform import settings as project_settings
from dermplatform.audit.db_roles import append_only_tables
from dermplatform.audit.models import Action, AuditEvent
from patients.models import Case, LesionImage, Patient
from tests.factories import PASSWORD, ClinicFactory, StaffFactory
from tests.faults import free_port, wait_for
from tests.images import jpeg_bytes, upload
from tests.unit.api.conftest import make_patient
from tests.worker import ROOT

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="roles and grants are PostgreSQL's")


@pytest.fixture(scope="session")
def app_role(django_db_setup, django_db_blocker):
    """The application role on the test database, made by `manage.py db_roles`: its name and how to connect."""
    with django_db_blocker.unblock():
        settings = connection.settings_dict
        role = f"{settings['NAME']}_app"[:63]
        password = secrets.token_urlsafe(16)
        with override_settings(DERM_DATABASE_OWNER=None):  # postgres owns the test database, whatever the shell says
            call_command("db_roles", role=role, password=password)
        return {
            "role": role, "password": password, "dbname": settings["NAME"],
            "host": settings["HOST"] or "127.0.0.1", "port": settings["PORT"] or 5432,
        }


@pytest.fixture
def app_rights(app_role, django_db_blocker):
    """The role's rights made current for this test, as a deployment does after every migrate: tests elsewhere in
    the session (tests/unit/diagnosis/test_migrations.py) drop and re-create tables, and a re-created table is
    read-and-insert only for the application until the command runs again."""
    with django_db_blocker.unblock(), override_settings(DERM_DATABASE_OWNER=None):
        call_command("db_roles", role=app_role["role"], password=app_role["password"])
    return app_role


@pytest.fixture
def app_cursor(app_rights):
    """A cursor connected as the application role, in one transaction rolled back at the end."""
    app_role = app_rights
    conn = psycopg2.connect(
        dbname=app_role["dbname"], user=app_role["role"], password=app_role["password"],
        host=app_role["host"], port=app_role["port"],
    )
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == app_role["role"]
            yield cursor
    finally:
        conn.rollback()
        conn.close()


def refused(cursor, statement, params=None) -> str:
    """Run `statement` as the application and return PostgreSQL's refusal (insufficient privilege, SQLSTATE 42501)."""
    cursor.execute("SAVEPOINT attempt")
    with pytest.raises(psycopg2.errors.InsufficientPrivilege) as refusal:
        cursor.execute(statement, params)
    cursor.execute("ROLLBACK TO SAVEPOINT attempt")
    return refusal.value.pgerror.splitlines()[0]


PROTECTED = append_only_tables()


def _insert_sql(obj):
    """The INSERT Django would send for `obj` (its fields as the model has them today), to run as the application."""
    query = InsertQuery(type(obj))
    query.insert_values([f for f in obj._meta.local_concrete_fields if not f.primary_key], [obj])
    [(statement, params)] = query.get_compiler(connection=connection).as_sql()
    return statement, params


def test_the_append_only_tables_come_from_the_code():
    assert "audit_auditevent" in PROTECTED
    # Every value-history event table (pghistory), accounts and clinical records alike.
    assert {"accounts_userevent", "patients_patientevent", "patients_caseevent", "diagnosis_reviewevent"} <= set(PROTECTED)
    assert "patients_patient" not in PROTECTED


@pytest.mark.django_db
@pytest.mark.parametrize("table", PROTECTED)
def test_the_application_cannot_change_erase_or_unprotect_an_append_only_table(app_cursor, table):
    cursor = app_cursor
    name = psycopg2.extensions.quote_ident(table, cursor)
    if table == "audit_auditevent":  # a row of its own to try to erase (rolled back with the transaction)
        cursor.execute(*_insert_sql(AuditEvent(action=Action.SIGN_IN, username="probe", request_id="probe")))
    cursor.execute(f"SELECT count(*) FROM {name}")  # noqa: S608  (a quoted table name from the models)
    before = cursor.fetchone()[0]
    cursor.execute("SELECT has_table_privilege(current_user, %s, 'INSERT')", [table])
    assert cursor.fetchone()[0]

    denied = re.escape(f"ERROR:  permission denied for table {table}")
    assert re.fullmatch(denied, refused(cursor, f"UPDATE {name} SET pgh_id = pgh_id" if table != "audit_auditevent"
                                       else "UPDATE audit_auditevent SET action = 'auth.sign_out'"))
    assert re.fullmatch(denied, refused(cursor, f"DELETE FROM {name}"))  # noqa: S608
    assert re.fullmatch(denied, refused(cursor, f"TRUNCATE {name}"))
    not_owner = f"ERROR:  must be owner of table {table}"
    assert refused(cursor, f"ALTER TABLE {name} DISABLE TRIGGER ALL") == not_owner
    assert refused(cursor, f"ALTER TABLE {name} DISABLE TRIGGER USER") == not_owner
    assert refused(cursor, f"ALTER TABLE {name} OWNER TO CURRENT_USER") == not_owner
    assert refused(cursor, "SET session_replication_role = replica") == (
        'ERROR:  permission denied to set parameter "session_replication_role"'
    )
    # pgtrigger's per-session switch (any role may set it) changes nothing: privilege refuses before any trigger.
    cursor.execute("SELECT coalesce(array_agg(tgname), '{}') FROM pg_trigger WHERE tgrelid = %s::regclass", [table])
    cursor.execute("SELECT set_config('pgtrigger.ignore', %s, false)", ["{" + ",".join(cursor.fetchone()[0]) + "}"])
    assert re.fullmatch(denied, refused(cursor, f"DELETE FROM {name}"))  # noqa: S608

    cursor.execute(f"SELECT count(*) FROM {name}")  # noqa: S608
    assert cursor.fetchone()[0] == before


def test_the_application_role_owns_nothing_and_holds_no_power_over_the_schema(app_role, app_cursor):
    cursor = app_cursor
    cursor.execute(
        "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    )
    assert cursor.fetchone() == (False, False, False, False, False)
    cursor.execute("SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = current_user")
    assert cursor.fetchone()[0] == 0
    cursor.execute(
        "SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid) + (SELECT count(*) FROM pg_proc WHERE proowner = r.oid)"
        " FROM pg_roles r WHERE r.rolname = current_user"
    )
    assert cursor.fetchone()[0] == 0
    # No TRUNCATE, TRIGGER or REFERENCES anywhere; UPDATE and DELETE everywhere but the append-only tables and the
    # migration record.
    cursor.execute(
        "SELECT c.relname, has_table_privilege(c.oid, 'TRUNCATE'), has_table_privilege(c.oid, 'TRIGGER'), "
        "has_table_privilege(c.oid, 'REFERENCES'), has_table_privilege(c.oid, 'SELECT'), "
        "has_table_privilege(c.oid, 'UPDATE'), has_table_privilege(c.oid, 'DELETE') "
        "FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')"
    )
    rows = {name: rights for name, *rights in cursor.fetchall()}
    assert set(PROTECTED) <= set(rows) and "patients_patient" in rows
    for name, (truncate, trigger, references, select, update, delete) in rows.items():
        assert (truncate, trigger, references, select) == (False, False, False, True), name
        writable = name not in PROTECTED and name != "django_migrations"
        assert (update, delete) == (writable, writable), name

    assert refused(cursor, "CREATE TABLE probe (id int)").startswith("ERROR:  permission denied for schema public")
    assert refused(cursor, "CREATE FUNCTION probe() RETURNS int AS 'SELECT 1' LANGUAGE sql").startswith(
        "ERROR:  permission denied for schema public"
    )
    # A temporary table named like an event table would take the history rows the triggers write.
    assert refused(cursor, "CREATE TEMP TABLE patients_patientevent (LIKE public.patients_patientevent)") == (
        f'ERROR:  permission denied to create temporary tables in database "{app_role["dbname"]}"'
    )
    assert refused(cursor, "CREATE SCHEMA probe") == f'ERROR:  permission denied for database {app_role["dbname"]}'
    assert refused(cursor, "DROP TABLE audit_auditevent") == "ERROR:  must be owner of table audit_auditevent"
    assert refused(cursor, "SELECT setval(pg_get_serial_sequence('patients_patient', 'id'), 1)").startswith(
        "ERROR:  permission denied for sequence"
    )


def test_running_the_command_again_takes_back_what_was_added(app_role, app_cursor, django_db_blocker):
    # Someone gave the role too much (or an old set-up did): the next run, after a migrate, takes it back.
    owner = _owner_connection(app_role)
    with owner.cursor() as cursor:
        cursor.execute(f'GRANT UPDATE, DELETE, TRUNCATE ON audit_auditevent TO "{app_role["role"]}"')
        cursor.execute(f'ALTER ROLE "{app_role["role"]}" CREATEDB')
        cursor.execute(f'GRANT pg_write_all_data TO "{app_role["role"]}"')  # UPDATE and DELETE on every table
        cursor.execute(f'GRANT SET ON PARAMETER session_replication_role TO "{app_role["role"]}"')
    owner.close()
    with django_db_blocker.unblock(), override_settings(DERM_DATABASE_OWNER=None):
        call_command("db_roles", role=app_role["role"], password=app_role["password"])
        call_command("db_roles", role=app_role["role"], password=app_role["password"])  # and again: idempotent
    cursor = app_cursor
    cursor.execute("SELECT rolcreatedb FROM pg_roles WHERE rolname = current_user")
    assert cursor.fetchone()[0] is False
    assert refused(cursor, "TRUNCATE audit_auditevent") == "ERROR:  permission denied for table audit_auditevent"
    assert refused(cursor, "DELETE FROM audit_auditevent") == "ERROR:  permission denied for table audit_auditevent"
    assert refused(cursor, "DELETE FROM patients_patientevent") == (
        "ERROR:  permission denied for table patients_patientevent"
    )
    assert refused(cursor, "SET session_replication_role = replica") == (
        'ERROR:  permission denied to set parameter "session_replication_role"'
    )


def _owner_connection(app_role):
    settings = connection.settings_dict
    owner = psycopg2.connect(dbname=app_role["dbname"], user=settings["USER"], password=settings["PASSWORD"] or None,
                             host=app_role["host"], port=app_role["port"])
    owner.autocommit = True
    return owner


def test_a_table_from_a_later_migration_is_read_and_insert_only_until_the_command_runs(app_role, django_db_blocker):
    owner = _owner_connection(app_role)
    try:
        with owner.cursor() as cursor:  # what a later migration would do, as the owner
            cursor.execute("CREATE TABLE role_probe_later (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)")
            cursor.execute("SELECT privilege_type FROM information_schema.role_table_grants "
                           "WHERE table_name = 'role_probe_later' AND grantee = %s ORDER BY 1", [app_role["role"]])
            assert [row[0] for row in cursor.fetchall()] == ["INSERT", "SELECT"]  # fails closed
        with django_db_blocker.unblock(), override_settings(DERM_DATABASE_OWNER=None):
            call_command("db_roles", role=app_role["role"], password=app_role["password"])
        with owner.cursor() as cursor:
            cursor.execute("SELECT privilege_type FROM information_schema.role_table_grants "
                           "WHERE table_name = 'role_probe_later' AND grantee = %s ORDER BY 1", [app_role["role"]])
            assert [row[0] for row in cursor.fetchall()] == ["DELETE", "INSERT", "SELECT", "UPDATE"]
    finally:
        with owner.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS role_probe_later")
        owner.close()


def test_the_deployment_step_migrates_as_the_owner_and_grants_to_the_application(app_role):
    """`db_roles --migrate` as a deployment runs it: DATABASE_URL is the application, DATABASE_OWNER_URL the owner."""
    settings = connection.settings_dict
    database = f"{app_role['host']}:{app_role['port']}/{app_role['dbname']}"
    owner = f"postgres://{settings['USER']}{':' + settings['PASSWORD'] if settings['PASSWORD'] else ''}@{database}"
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{app_role['role']}:{app_role['password']}@{database}",
        "DATABASE_OWNER_URL": owner,
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "db_roles", "--migrate"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert f"Role {app_role['role']}: SELECT and INSERT only" in done.stdout
    # The application's own connection may not run it: it is not the owner.
    env["DATABASE_OWNER_URL"] = ""
    alone = subprocess.run(
        [sys.executable, "manage.py", "db_roles"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert alone.returncode != 0 and "DATABASE_OWNER_URL" in alone.stderr


@pytest.fixture
def as_app_role(app_rights, transactional_db):
    """Django's own connection switched to the application role for the test (postgres again for the flush)."""
    app_role = app_rights
    settings = connection.settings_dict
    saved = {key: settings[key] for key in ("USER", "PASSWORD")}
    connection.close()
    settings.update(USER=app_role["role"], PASSWORD=app_role["password"])
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == app_role["role"]
        yield app_role
    finally:
        connection.close()
        settings.update(saved)


def test_the_platform_works_as_the_application_role(as_app_role, active_model, monkeypatch):
    """An ordinary day through the pages and the API, then the AI worker's writes, all as the application role."""
    from diagnosis.inference import services as diagnosis_services
    from diagnosis.models import Prediction

    monkeypatch.setattr("diagnosis.inference.enqueue.images_enqueue", lambda image_ids: None)  # the worker's part runs below
    staff = StaffFactory(clinic=ClinicFactory())
    client = Client()
    client.force_login(staff)

    created = client.post(reverse("patients:create"), {
        "medical_record_number": "ROLE-1", "first_name": "Mary", "last_name": "Seacole",
        "date_of_birth": "1960-01-02", "sex": "female",
    })
    assert created.status_code == 302
    patient = Patient.objects.get(medical_record_number="ROLE-1")
    edited = client.post(reverse("patients:update", args=[patient.public_id]), {
        "medical_record_number": "ROLE-1", "first_name": "Mary Jane", "last_name": "Seacole",
        "date_of_birth": "1960-01-02", "sex": "female",
    })
    assert edited.status_code == 302
    opened = client.post(reverse("patients:case_create", args=[patient.public_id]), {
        "body_site": "back", "side": "", "label": "", "clinical_notes": "Changing naevus.",
    })
    assert opened.status_code == 302
    case = Case.objects.get(patient=patient)
    uploaded = client.post(reverse("patients:image_upload", args=[case.public_id]), {"images": [upload(jpeg_bytes(seed=3))]})
    assert uploaded.status_code == 302
    image = LesionImage.objects.get(case=case)
    for url in (reverse("patients:detail", args=[patient.public_id]), case.get_absolute_url(),
                reverse("patients:image_content", args=[image.public_id]), "/api/patients/"):
        assert client.get(url).status_code == 200, url

    diagnosis_services.image_classify(image_id=image.pk)  # what the worker runs: locks the case, writes the opinion
    assert Prediction.objects.filter(image=image).exists()

    actions = set(AuditEvent.objects.filter(actor=staff).values_list("action", flat=True))
    assert {Action.PATIENT_CREATE, Action.PATIENT_UPDATE, Action.CASE_CREATE, Action.IMAGE_UPLOAD,
            Action.PATIENT_VIEW, Action.CASE_VIEW, Action.IMAGE_CONTENT, Action.PATIENT_LIST} <= actions
    # The value history was written by the application's inserts through the triggers.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pgh_label, first_name FROM patients_patientevent WHERE pgh_obj_id = %s ORDER BY pgh_id", [patient.pk])
        assert cursor.fetchall() == [("insert", "Mary"), ("update", "Mary Jane")]


def test_the_application_cannot_switch_the_value_history_off(as_app_role):
    """pgtrigger's per-session switch (SET pgtrigger.ignore) names a trigger to skip: not for the application."""
    staff = StaffFactory(clinic=ClinicFactory())
    patient = make_patient(staff, mrn="ROLE-2", first_name="Ada", last_name="Byron")
    with connection.cursor() as cursor:
        cursor.execute("SELECT array_agg(tgname) FROM pg_trigger WHERE tgrelid = 'patients_patient'::regclass "
                       "AND tgname LIKE 'pgtrigger_%%'")
        [triggers] = cursor.fetchone()
        cursor.execute("SELECT set_config('pgtrigger.ignore', %s, false)", ["{" + ",".join(triggers) + "}"])
        Patient.objects.filter(pk=patient.pk).update(first_name="Augusta")
        cursor.execute("SELECT set_config('pgtrigger.ignore', '', false)")
        cursor.execute("SELECT pgh_label, first_name FROM patients_patientevent WHERE pgh_obj_id = %s ORDER BY pgh_id", [patient.pk])
        assert cursor.fetchall() == [("insert", "Ada"), ("update", "Augusta")]


def test_a_real_gunicorn_serves_the_platform_as_the_application_role(app_role, transactional_db, settings, tmp_path):
    """The web process as a deployment starts it, DATABASE_URL naming the application role: sign-in, a list, a
    registration; the audit trail and the value history are written (by the role's INSERTs)."""
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS  # hashed as gunicorn checks it
    staff = StaffFactory(clinic=ClinicFactory(), username="role-desk")
    port = free_port()
    database = f"{app_role['host']}:{app_role['port']}/{app_role['dbname']}"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DERM_", "DATABASE_"))}
    env["DATABASE_URL"] = f"postgres://{app_role['role']}:{app_role['password']}@{database}"
    log = tmp_path / "gunicorn.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "dermplatform.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

        def up():
            try:
                return browser.open(f"{base}/healthz", timeout=5).status == 200
            except OSError:
                return False

        assert wait_for(up, 60), log.read_text()[-4000:]

        def post(path, fields):
            form = browser.open(base + path, timeout=30).read().decode()
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
            body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
            return browser.open(urllib.request.Request(base + path, data=body, headers={"Referer": base + path}), timeout=30)

        signed_in = post("/accounts/login/", {"username": "role-desk", "password": PASSWORD})
        assert signed_in.url.rstrip("/") != f"{base}/accounts/login", log.read_text()[-4000:]
        registered = post("/patients/new/", {
            "medical_record_number": "ROLE-3", "first_name": "Ada", "last_name": "Byron",
            "date_of_birth": "1970-05-17", "sex": "female",
        })
        assert registered.status == 200 and "/patients/" in registered.url, log.read_text()[-4000:]
        assert browser.open(f"{base}/patients/", timeout=30).status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)

    patient = Patient.objects.get(medical_record_number="ROLE-3")
    actions = set(AuditEvent.objects.filter(actor=staff).values_list("action", flat=True))
    assert {Action.SIGN_IN, Action.PATIENT_CREATE, Action.PATIENT_LIST} <= actions
    with connection.cursor() as cursor:
        cursor.execute("SELECT pgh_label, pgh_context->>'user' FROM patients_patientevent WHERE pgh_obj_id = %s", [patient.pk])
        assert cursor.fetchall() == [("insert", str(staff.pk))]
