"""The trail is append-only: no update or delete path in the application, and PostgreSQL refuses both."""

import pytest
from django.db import DatabaseError, connection, transaction

from dermplatform.audit.models import Action, AuditEvent
from dermplatform.audit.services import event_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(staff):
    return event_record(action=Action.SIGN_IN, actor=staff)


def test_the_orm_has_no_update_or_delete_path(event):
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(action=Action.SIGN_OUT)
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize("sql", [
    "UPDATE audit_auditevent SET action = 'auth.sign_out' WHERE id = %s",
    "DELETE FROM audit_auditevent WHERE id = %s",
])
def test_the_database_refuses_update_and_delete(event, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [event.pk])
    event.refresh_from_db()
    assert event.action == Action.SIGN_IN


def test_admins_read_and_filter_but_cannot_change(admin_client_, staff, event):
    listing = admin_client_.get("/admin/audit/auditevent/", {"action": Action.SIGN_IN, "outcome": "allowed"})
    assert listing.status_code == 200
    assert staff.username in listing.content.decode()
    page = admin_client_.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert admin_client_.get("/admin/audit/auditevent/add/").status_code == 403
    assert admin_client_.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
