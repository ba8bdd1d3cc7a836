"""The application's PostgreSQL role: it owns nothing, so it cannot alter or erase the audit trail or the value history.

Two roles share one database. The owner (DATABASE_OWNER_URL) creates the tables in migrations and grants; the
application (DATABASE_URL) reads and writes through its grants alone. On the append-only tables (the audit trail
and every value-history event table) it may only SELECT and INSERT: UPDATE, DELETE and TRUNCATE are refused by
privilege, before any trigger; and as it owns no table and is not a superuser, it can neither disable a trigger
(ALTER TABLE ... DISABLE TRIGGER needs ownership) nor switch triggers off with session_replication_role (superuser
only), nor create anything (no CREATE in the schema, no temporary tables), nor skip the history's triggers with
pgtrigger's session switch. The triggers stay as a second line (they also hold for the owner, TRUNCATE aside).

`manage.py db_roles` applies all of it; it runs after every migrate (`db_roles --migrate` does both, as the owner),
so the grants follow new tables. Until it has run, a table created by a later migration gives the application
SELECT and INSERT only (default privileges): a missed step fails closed, never open.
"""

import pghistory.models
import pgtrigger.features
from django.apps import apps
from django.db import transaction

# Written by the owner's migrate only: the application may read which migrations ran, never rewrite the record.
READ_ONLY_TABLES = ("django_migrations",)

# Role attributes, set on every run: an existing role that was given more is brought back to this.
ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT"


# django-pgtrigger lets any session skip a trigger by name (SET pgtrigger.ignore = '{name}'), the value history's
# own triggers included: honoured here for the owner alone (who could drop the trigger anyway). pgtrigger rewrites
# the function when a migration installs a trigger; this command runs after every migrate and puts it back.
_PGTRIGGER_IGNORE = """
CREATE OR REPLACE FUNCTION {function}(trigger_name NAME) RETURNS BOOLEAN AS $$
    DECLARE
        _pgtrigger_ignore TEXT[];
    BEGIN
        IF NOT pg_has_role(current_user, {owner}, 'MEMBER') THEN
            RETURN FALSE;
        END IF;
        BEGIN
            SELECT INTO _pgtrigger_ignore CURRENT_SETTING('pgtrigger.ignore');
            EXCEPTION WHEN OTHERS THEN
        END;
        RETURN COALESCE(trigger_name = ANY(_pgtrigger_ignore), FALSE);
    END;
$$ LANGUAGE plpgsql
"""


class RoleError(Exception):
    """The roles cannot be set up as asked (same role for both, role owning objects, tables not migrated)."""


def append_only_tables() -> list[str]:
    """The audit trail and every value-history event table, from the models: a newly tracked model is included."""
    audit = apps.get_app_config("audit").get_models()
    events = (model for model in apps.get_models() if issubclass(model, pghistory.models.Event))
    return sorted({
        model._meta.db_table for model in (*audit, *events) if model._meta.managed and not model._meta.proxy
    })


def app_role_secure(connection, *, role: str, password: str | None = None) -> None:
    """Create or update `role` as the application's role and grant it exactly what the application needs.

    `connection` is open as the owner of the tables (a superuser or a role with CREATEROLE that owns them).
    Idempotent, in one transaction: the application never sees a half-granted state.
    """
    from psycopg2 import sql  # PostgreSQL only: names composed as quoted identifiers

    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema(), current_database()")
        owner, schema, database = cursor.fetchone()
        if role == owner:
            raise RoleError(
                f"The application role {role!r} is the owner of the tables: connect the application as another "
                "role (DATABASE_URL) and run migrations as the owner (DATABASE_OWNER_URL)."
            )

        def run(statement, *names):
            cursor.execute(sql.SQL(statement).format(*(sql.Identifier(name) for name in names)))

        app = sql.Identifier(role)
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        verb = "ALTER" if cursor.fetchone() else "CREATE"
        password_clause = sql.SQL(" PASSWORD {}").format(sql.Literal(password)) if password else sql.SQL("")
        cursor.execute(sql.SQL("{} ROLE {} WITH {}{}").format(
            sql.SQL(verb), app, sql.SQL(ROLE_ATTRIBUTES), password_clause
        ))
        # No borrowed rights: membership of another role (pg_write_all_data, the owner...) would bring its privileges.
        cursor.execute(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = %s", [role],
        )
        for (group,) in cursor.fetchall():
            run("REVOKE {} FROM {}", group, role)

        # An owner may alter, disable triggers on or drop what it owns: refuse rather than guess who should own it.
        cursor.execute(
            "SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid) + "
            "(SELECT count(*) FROM pg_proc WHERE proowner = r.oid) + "
            "(SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid) FROM pg_roles r WHERE r.rolname = %s", [role],
        )
        if cursor.fetchone()[0]:
            raise RoleError(
                f"The application role {role!r} owns objects in database {database!r}: give them to the owner "
                f"(REASSIGN OWNED BY {role} TO {owner}) and run again."
            )

        protected = append_only_tables()
        cursor.execute(
            "SELECT name FROM unnest(%s::text[]) AS name WHERE to_regclass(quote_ident(name)) IS NULL", [protected]
        )
        missing = [name for (name,) in cursor.fetchall()]
        if missing:
            raise RoleError(f"Tables missing (run migrate first): {', '.join(missing)}")

        run("GRANT CONNECT ON DATABASE {} TO {}", database, role)
        run("REVOKE CREATE, TEMPORARY ON DATABASE {} FROM {}", database, role)
        # A temporary table is searched before "public": one named like an event table would take the history rows
        # that the triggers (unqualified INSERT INTO "patients_patientevent") write. Nothing here uses temp tables.
        run("REVOKE TEMPORARY ON DATABASE {} FROM PUBLIC", database)
        run("GRANT USAGE ON SCHEMA {} TO {}", schema, role)
        # PostgreSQL 15 and later already refuse CREATE in "public" to PUBLIC; older ones grant it.
        run("REVOKE CREATE ON SCHEMA {} FROM PUBLIC", schema)
        run("REVOKE CREATE ON SCHEMA {} FROM {}", schema, role)

        # Tables: start from nothing, then the ordinary rights (never TRUNCATE, REFERENCES or TRIGGER).
        run("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}", schema, role)
        run("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}", schema, role)
        for table in protected:
            run("REVOKE UPDATE, DELETE ON TABLE {} FROM {}", table, role)
        for table in READ_ONLY_TABLES:
            run("REVOKE INSERT, UPDATE, DELETE ON TABLE {} FROM {}", table, role)
        # nextval for inserts; never setval (UPDATE on a sequence).
        run("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}", schema, role)
        run("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}", schema, role)

        # What the owner creates later (before the next run) starts read-and-insert only: fail closed.
        defaults = "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} "
        run(defaults + "REVOKE ALL ON TABLES FROM {}", owner, schema, role)
        run(defaults + "GRANT SELECT, INSERT ON TABLES TO {}", owner, schema, role)
        run(defaults + "REVOKE ALL ON SEQUENCES FROM {}", owner, schema, role)
        run(defaults + "GRANT USAGE, SELECT ON SEQUENCES TO {}", owner, schema, role)

        ignore_function = (pgtrigger.features.schema(), "_pgtrigger_should_ignore")
        cursor.execute("SELECT to_regprocedure(%s) IS NOT NULL", ['"%s"."%s"(name)' % ignore_function])
        if cursor.fetchone()[0]:
            cursor.execute(sql.SQL(_PGTRIGGER_IGNORE).format(
                function=sql.Identifier(*ignore_function), owner=sql.Literal(owner)
            ))

        # PostgreSQL 15+: a superuser-only setting can be granted to a role (GRANT SET ON PARAMETER); take any back.
        if connection.pg_version >= 150000:
            cursor.execute(
                "SELECT a.parname FROM pg_parameter_acl a, aclexplode(a.paracl) x "
                "JOIN pg_roles r ON r.oid = x.grantee WHERE r.rolname = %s", [role],
            )
            for (parameter,) in cursor.fetchall():
                name = sql.SQL(".").join(sql.Identifier(part) for part in parameter.split("."))
                cursor.execute(sql.SQL("REVOKE ALL ON PARAMETER {} FROM {}").format(name, app))
