"""TRUNCATE is refused on the append-only tables, and the application's role cannot remove rows.

Issue 22, item 7: the row-level triggers never fire on TRUNCATE (nor on ``manage.py flush``,
which uses it). These tests need PostgreSQL: the triggers and roles exist only there.
"""

from __future__ import annotations

import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError

from audit import actions, append_only, chain, db_roles
from audit.choices import AuditAction
from audit.models import Event, Link
from cases.models import Person
from tests.conftest import World

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (append-only triggers)"
)


def _settle() -> None:
    # The test's own inserts leave deferred foreign-key checks pending, and PostgreSQL will
    # not TRUNCATE a table with pending trigger events: run them first.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _attempt(sql: str) -> None:
    _settle()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)


def _events() -> int:
    return Event.objects.count()


@pytest.mark.parametrize(
    "table", ["audit_event", "audit_link", "audit_seal", "cases_historicalperson"]
)
def test_truncate_of_an_append_only_table_is_refused(
    world: World, lan_person: Person, table: str
) -> None:
    """ASVS 16.4.2: TRUNCATE cannot empty the access log, its seals or a change history."""
    actions.record(actor=None, action=AuditAction.EXPORT, object_type="table")
    before = (_events(), Person.history.count())
    with pytest.raises(DatabaseError, match="append-only"):
        _attempt(f"TRUNCATE {connection.ops.quote_name(table)} CASCADE")
    assert (_events(), Person.history.count()) == before


def test_every_history_table_refuses_truncate(db: None) -> None:
    """A history table of any app (here the test-only example app) gets the guard too."""
    tables = {m._meta.db_table for m in append_only.history_models()}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = c.relname || '_no_truncate'"
        )
        guarded = {row[0] for row in cursor.fetchall()}
    assert any("casenote" in table for table in tables)
    assert tables | {"audit_event", "audit_link", "audit_seal"} <= guarded


def test_manage_flush_cannot_empty_the_audit_log(world: World) -> None:
    """ASVS 16.4.2: ``manage.py flush`` (TRUNCATE of every table) is refused as a whole."""
    actions.record(actor=None, action=AuditAction.EXPORT, object_type="table")
    before = _events()
    _settle()
    with pytest.raises(CommandError, match="flushed"), transaction.atomic():
        call_command("flush", interactive=False, verbosity=0)
    assert _events() == before


def test_the_application_role_cannot_remove_or_rewrite_the_audit_log(world: World) -> None:
    """ASVS 16.4.2 / 13.2.2 (least privilege): the role the application runs as (docs/audit.md,
    set up by ``grant_app_role``) writes events but cannot DELETE, UPDATE or TRUNCATE them,
    even where the trigger would be bypassed, and owns nothing."""
    role = os.environ.get("HOA_NHAP_APP_DB_ROLE", "hoa_nhap_app_test")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {connection.ops.quote_name(role)} NOLOGIN")
        for statement in db_roles.app_role_grants(role):
            cursor.execute(statement)
        cursor.execute("SET LOCAL ROLE " + connection.ops.quote_name(role))
    # What the application does still works under the role: an event is written, chained.
    event = actions.record(actor=world.users["lan"], action=AuditAction.EXPORT, object_type="t")
    assert Event.objects.filter(pk=event.pk).exists()
    chain.sequence()
    assert Link.objects.filter(event=event).exists()
    for sql in (
        "DELETE FROM audit_event",
        "UPDATE audit_event SET action = 'x'",
        "DELETE FROM audit_link",
        "UPDATE audit_link SET hash = 'x'",
        "TRUNCATE audit_link CASCADE",
        "TRUNCATE audit_event CASCADE",
        "DELETE FROM cases_historicalperson",
        "TRUNCATE audit_seal CASCADE",
    ):
        with pytest.raises(DatabaseError, match="permission denied|must be owner"):
            _attempt(sql)
    # Nor can it drop the guard: it owns neither the table nor its trigger.
    with pytest.raises(DatabaseError, match="must be owner"):
        _attempt("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_truncate")
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
