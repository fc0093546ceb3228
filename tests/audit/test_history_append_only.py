"""Change history is append-only like the access log: pruning or rewriting it is refused.

These tests need PostgreSQL: the triggers that refuse UPDATE and DELETE exist only there.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import ProgrammingError
from simple_history.models import HistoricalChanges

from audit import actions, append_only, chain
from audit.choices import AuditAction
from audit.models import Event
from cases.events import CaseAction
from cases.models import Case, Person
from tests.conftest import World

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (append-only triggers)"
)


def _history(world: World, lan_person: Person) -> None:
    lan_person.address = "Địa chỉ mới"
    lan_person.save()
    case = lan_person.cases.get()
    case.notes = "Ghi chú mới"
    case.save()


def _snapshot() -> list[Any]:
    return [
        list(Person.history.order_by("history_id").values_list()),
        list(Case.history.order_by("history_id").values_list()),
    ]


def historical_models() -> list[Any]:
    return [m for m in apps.get_models() if issubclass(m, HistoricalChanges)]


def test_clean_old_history_is_refused_and_deletes_nothing(world: World, lan_person: Person) -> None:
    """ASVS 16.4.2: the history simple-history ships a pruning command for cannot be pruned."""
    _history(world, lan_person)
    before = _snapshot()
    assert len(before[0]) == 2 and len(before[1]) == 2

    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        call_command("clean_old_history", "--days", "0", "--auto", verbosity=0)

    assert _snapshot() == before


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM cases_historicalperson",
        "DELETE FROM cases_historicalcase WHERE history_type = '~'",
        "UPDATE cases_historicalperson SET history_user_id = NULL",
        "UPDATE cases_historicalcase SET history_date = history_date - interval '1 day'",
        "UPDATE cases_historicalperson SET full_name = NULL",
    ],
)
def test_database_refuses_to_change_or_delete_history_rows(
    world: World, lan_person: Person, sql: str
) -> None:
    """ASVS 16.4.2: history rows are neither rewritten nor removed, even with raw SQL."""
    _history(world, lan_person)
    before = _snapshot()

    with (
        pytest.raises(ProgrammingError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)

    assert _snapshot() == before


def test_every_historical_table_has_the_append_only_trigger(db: Any) -> None:
    """A future app's history table gets the trigger too: it is installed per model found."""
    tables = {m._meta.db_table for m in historical_models()}
    assert {"cases_historicalperson", "cases_historicalcase"} <= tables
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = c.relname || '_append_only' AND NOT t.tgisinternal"
        )
        guarded = {row[0] for row in cursor.fetchall()}
    assert tables <= guarded
    assert {"audit_event", "audit_seal"} <= guarded


def test_the_rekey_path_may_change_only_ciphertext(world: World, lan_person: Person) -> None:
    """The key-rotation path re-encrypts history columns; it cannot move or remove a row."""
    _history(world, lan_person)
    before = _snapshot()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL hoa_nhap.rekey = 'on'")
        for sql in (
            "UPDATE cases_historicalperson SET history_type = '-'",
            "UPDATE cases_historicalperson SET full_name = full_name, history_type = '-'",
            "UPDATE cases_historicalperson SET full_name = 'plain text'",
            "UPDATE cases_historicalperson SET address = NULL WHERE address IS NOT NULL",
            "DELETE FROM cases_historicalperson",
        ):
            with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
                cursor.execute(sql)
        # The same ciphertext written back is an allowed re-encryption.
        cursor.execute("UPDATE cases_historicalperson SET full_name = full_name")
        assert cursor.rowcount == 2
    assert _snapshot() == before


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_event SET object_id = 'forged'",
        "UPDATE audit_event SET reason = NULL WHERE reason IS NOT NULL",
        "UPDATE audit_event SET reason = 'plain text' WHERE reason IS NOT NULL",
        "DELETE FROM audit_event",
        "UPDATE audit_seal SET head_hash = repeat('0', 64)",
    ],
)
def test_the_rekey_path_cannot_forge_events(world: World, lan_person: Person, sql: str) -> None:
    """ASVS 16.4.2: even with the re-key setting on, an event's content cannot change."""
    actions.record(actor=world.users["lan"], action=CaseAction.SEARCH, reason="lý do thử")
    actions.seal_create(actor=None)
    events = list(Event.objects.order_by("seq").values_list())
    with (
        pytest.raises(ProgrammingError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL hoa_nhap.rekey = 'on'")
        cursor.execute(sql)
    assert list(Event.objects.order_by("seq").values_list()) == events
    assert chain.verify().ok


# ── Detection: a deletion made with the trigger switched off ──────────────────────────────


def test_history_removed_behind_the_triggers_back_is_reported_by_verify(
    world: World, lan_person: Person
) -> None:
    """ASVS 16.4.3: history pruned by a database superuser is caught by verify_audit_chain.

    The daily seal records every history table's row count and highest id in the chain; a
    later count below it names the table and the checkpoint.
    """
    _history(world, lan_person)
    out = io.StringIO()
    call_command("seal_audit_chain", stdout=out)
    (checkpoint,) = Event.objects.filter(action=AuditAction.HISTORY_CHECKPOINT)
    assert checkpoint.detail["tables"]["cases_historicalperson"][0] == 2
    _history(world, lan_person)  # more history after the checkpoint
    assert "audit chain intact" in _verify_output()

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "ALTER TABLE cases_historicalperson DISABLE TRIGGER cases_historicalperson_append_only"
        )
        cursor.execute(
            "DELETE FROM cases_historicalperson WHERE history_id = "
            "(SELECT min(history_id) FROM cases_historicalperson)"
        )
        cursor.execute(
            "ALTER TABLE cases_historicalperson ENABLE TRIGGER cases_historicalperson_append_only"
        )

    with pytest.raises(CommandError, match=r"change history BROKEN") as raised:
        _verify_output()
    assert (
        f"cases_historicalperson: 1 history row(s) recorded by checkpoint event #{checkpoint.seq}"
        in str(raised.value)
    )
    assert chain.verify().ok  # the events themselves are intact


def test_checkpoints_count_each_table_up_to_its_own_mark(world: World, lan_person: Person) -> None:
    """Several checkpoints are each checked against the rows that existed when it was taken."""
    call_command("seal_audit_chain", stdout=io.StringIO())
    _history(world, lan_person)
    call_command("seal_audit_chain", stdout=io.StringIO())
    _history(world, lan_person)
    call_command("seal_audit_chain", stdout=io.StringIO())
    assert append_only.history_missing() == []
    marks = [
        e.detail["tables"]["cases_historicalcase"]
        for e in Event.objects.filter(action=AuditAction.HISTORY_CHECKPOINT).order_by("seq")
    ]
    assert [count for count, _ in marks] == [1, 2, 3]


def _verify_output() -> str:
    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out)
    return out.getvalue()
