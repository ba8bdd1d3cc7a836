"""The history of clinical records and accounts: the old and new values of every change, kept by PostgreSQL.

django-pghistory installs triggers that copy a tracked row into its event table (e.g. `patients_patientevent`)
on insert, on an update that changes a tracked field, and on delete, whoever writes: a service, the admin, raw
SQL, a migration. Each copy is a full snapshot of the tracked fields; the previous snapshot of the same row gives
the old values (`pghistory.models.Events` computes the diff, `{field: [old, new]}`, read in the admin).

Each snapshot carries the request's context, `{"user": <acting user's id>, "request_id": ...}`: the same request
id as the AuditEvent of that request, so a value change joins to who opened what from where. Rows written by a
Celery task carry `{"task": <name>, "task_id": ...}` instead; a management command's carry none.

Unlike AuditEvent, these rows hold the record's values, patient-identifying ones included: they are the record's own
history, inside the database beside the record, and only platform admins read them. They never go into AuditEvent
or logs. Image bytes are not in them (they live in StoredFile, which is not tracked).

PostgreSQL only: on SQLite (the embedded defaults) the tables exist but no trigger fills them and no context is
attached.
"""

import contextlib

import pghistory
import pghistory.middleware
from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.wsgi import WSGIRequest
from django.db import connection

BASELINE = "baseline"  # a snapshot of a row that existed before tracking began (see baseline_snapshot)


def tracked(*, fields=None, exclude=None, inserts=True):
    """Track a model's changes in an append-only event table (a class decorator).

    `fields` or `exclude` choose what is copied: never secrets or large binary data. With `inserts=False` only
    updates and deletes are recorded, with the old row copied before the new (for records written once and never
    changed, such as predictions: an insert snapshot would duplicate each one).
    """
    # auto_now fields (updated_at) are copied but alone do not make a change: a save that changed nothing else
    # records nothing.
    changed = pghistory.AnyChange(exclude_auto=True)
    if inserts:
        trackers = [pghistory.InsertEvent(), pghistory.UpdateEvent(condition=changed), pghistory.ManualEvent(BASELINE)]
    else:
        # PostgreSQL fires triggers of one event in name order: "before_update" copies OLD ahead of "update".
        trackers = [
            pghistory.UpdateEvent("before_update", row=pghistory.Old, condition=changed),
            pghistory.UpdateEvent(condition=changed),
        ]

    def decorate(model):
        return pghistory.track(
            *trackers,
            pghistory.DeleteEvent(),
            fields=fields,
            exclude=exclude,
            # The context is stored in each row (JSON), not in pghistory's shared context table, which its
            # triggers update in place: every history row stays written once.
            context_field=pghistory.ContextJSONField(),
            # pgtrigger.Protect: PostgreSQL refuses UPDATE and DELETE on the event table.
            append_only=True,
            model_name=f"{model.__name__}Event",  # e.g. patients.PatientEvent, table patients_patientevent
        )(model)

    return decorate


def request_context(request, request_id: str):
    """Attach the acting user and the request's id to every history row written while serving `request`.

    PostgreSQL only: pghistory prefixes each write statement with `set_config(...)`, which SQLite would refuse.
    """
    if connection.vendor != "postgresql":
        return contextlib.nullcontext()
    user = getattr(request, "user", None)
    user_id = user.pk if user is not None and user.is_authenticated else None
    # DRF authenticates API tokens in the view, then sets the user on this request: pghistory's request classes
    # pass a user set later on to the open context.
    if isinstance(request, WSGIRequest):
        request.__class__ = pghistory.middleware.WSGIRequest
    elif isinstance(request, ASGIRequest):
        request.__class__ = pghistory.middleware.ASGIRequest
    return pghistory.context(user=user_id, request_id=request_id)


# Task id -> the history context opened when a Celery task started (a worker process runs one at a time).
_task_contexts: dict = {}


def task_started(task_id=None, task=None, **kwargs) -> None:
    """Celery's task_prerun: rows written by a task (the AI worker's case updates) name the task and its id."""
    if connection.vendor == "postgresql" and task is not None:
        scope = pghistory.context(task=task.name, task_id=task_id)
        scope.__enter__()
        _task_contexts[task_id] = scope


def task_finished(task_id=None, **kwargs) -> None:
    """Celery's task_postrun (sent whatever the outcome)."""
    scope = _task_contexts.pop(task_id, None)
    if scope is not None:
        scope.__exit__(None, None, None)


def baseline_snapshot(app_label: str, event_model: str):
    """A migration operation copying every existing row into its new event table, labelled "baseline".

    Without it, the first change to a record made before tracking began would have no old values to show.
    PostgreSQL only, like the triggers.
    """
    from django.db import migrations

    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        from psycopg2 import sql  # PostgreSQL only: names composed as quoted identifiers

        events = apps.get_model(app_label, event_model)
        tracked_model = events._meta.get_field("pgh_obj").related_model
        copied = sql.SQL(", ").join(
            sql.Identifier(f.column) for f in events._meta.local_concrete_fields if not f.name.startswith("pgh_")
        )
        statement = sql.SQL(
            "INSERT INTO {events} ({copied}, pgh_created_at, pgh_label, pgh_obj_id) "
            "SELECT {copied}, NOW(), %s, {pk} FROM {tracked}"
        ).format(
            events=sql.Identifier(events._meta.db_table), copied=copied,
            pk=sql.Identifier(tracked_model._meta.pk.column), tracked=sql.Identifier(tracked_model._meta.db_table),
        )
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(statement, [BASELINE])

    return migrations.RunPython(run, migrations.RunPython.noop)
