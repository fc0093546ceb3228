"""The access log is append-only and hash-chained: tampering shows, concurrent writers do not.

These tests need PostgreSQL: the append-only triggers (migrations 0002-0005) and the
sequencer's advisory lock exist only there. An event is chained into an append-only link
(``audit_link``) after its transaction commits; these tests run inside one transaction, so
they chain with ``chain.sequence()`` as the seal and ``verify_audit_chain`` do. To tamper, a
test switches the triggers off, as a database superuser could, and changes rows with raw SQL.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.utils import ProgrammingError

from accounts.events import AccountAction
from audit import actions, chain, context
from audit.chain import Break, Verdict
from audit.choices import AuditAction
from audit.models import AppendOnlyError, Event, Link, Seal
from cases.events import CaseAction
from tests.conftest import World

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (append-only trigger, advisory lock): run via scripts/with-postgres",
)

# Every column of audit_event, to snapshot rows and to copy one with raw SQL.
COLUMNS = (
    "id",
    "seq",
    "at",
    "action",
    "actor_id",
    "organisation_id",
    "object_type",
    "object_id",
    "person_id",
    "ip",
    "user_agent",
    "request_id",
    "reason",
    "detail",
    "xid",
)
# SQLSTATE the trigger raises with (insufficient_privilege).
INSUFFICIENT_PRIVILEGE = "42501"
REASON = "Nguyễn Văn An cần cấp cứu"


def _record_events(world: World, count: int) -> list[Event]:
    """Append events with every chained column filled in, each one different; chain them."""
    lan = world.users["lan"]
    events = [
        actions.record(
            actor=lan,
            action=CaseAction.SEARCH,
            object_type="person",
            object_id=f"obj-{i}",
            person_id=uuid.uuid4(),
            reason=f"lý do {i}",
            detail={"found": i, "kind": "name"},
        )
        for i in range(count)
    ]
    chain.sequence()
    return events


def _links(events: list[Event]) -> list[Link]:
    """Return the events' links, in the order of the events."""
    by_event = {link.event_id: link for link in Link.objects.filter(event__in=events)}
    return [by_event[event.pk] for event in events]


def _record_links(world: World, count: int) -> list[Link]:
    return _links(_record_events(world, count))


def _rows() -> list[tuple[Any, ...]]:
    events = list(Event.objects.order_by("seq").values_list(*COLUMNS))
    return events + list(Link.objects.order_by("position").values_list())


def _first_break(verdict: Verdict) -> Break:
    assert verdict.first_break is not None, f"tampering went unnoticed: {verdict}"
    return verdict.first_break


def _command_output(*args: str) -> str:
    out = StringIO()
    call_command("verify_audit_chain", *args, stdout=out)
    return out.getvalue()


def _assert_command_reports(seq: int, kind: str, *args: str) -> None:
    with pytest.raises(CommandError, match=rf"BROKEN at event #{seq} \({kind}\)"):
        call_command("verify_audit_chain", *args, stdout=StringIO())


@contextmanager
def _tampering(*tables: str) -> Iterator[CursorWrapper]:
    """Switch the append-only triggers off (the test role is a superuser), then on again.

    ALTER TABLE is transactional in PostgreSQL: the test's rollback undoes it as well. It
    refuses while deferred foreign-key checks of this transaction are pending, so those run
    first, and run at once while tampering.
    """
    tables = tables or ("audit_event", "audit_link")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        yield cursor
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _make_room(cursor: CursorWrapper, position: int) -> None:
    """Move the links from ``position`` on up by one, stepping around the primary key."""
    cursor.execute(
        "UPDATE audit_link SET position = position + 1000000 WHERE position >= %s", [position]
    )
    cursor.execute(
        "UPDATE audit_link SET position = position - 999999 WHERE position >= %s",
        [position + 1000000],
    )


def _event_of(position: int) -> str:
    return str(Link.objects.get(position=position).event_id)


def _rechain(cursor: CursorWrapper, from_position: int) -> str:
    """Recompute every link from ``from_position`` on with the real key; return the new head."""
    prev = Link.objects.get(position=from_position - 1).hash
    fields = (f"event__{name}" for name in chain.CHAINED_FIELDS)
    rows = (
        Link.objects.filter(position__gte=from_position)
        .order_by("position")
        .values_list("position", *fields)
    )
    for position, *values in list(rows):
        new_hash = chain.compute_hash(prev, chain.stored_values(values))
        cursor.execute(
            "UPDATE audit_link SET prev_hash = %s, hash = %s WHERE position = %s",
            [prev, new_hash, position],
        )
        prev = new_hash
    return prev


# ── 1. Appending ───────────────────────────────────────────────────────────────────────────


def test_record_appends_linked_events_with_contiguous_sequence(world: World) -> None:
    chain.sequence()
    start, start_hash = chain.head()
    events = _record_events(world, 6)

    stored = list(Link.objects.filter(position__gt=start).order_by("position"))
    assert [link.event_id for link in stored] == [e.pk for e in events]
    assert [link.position for link in stored] == list(range(start + 1, start + 7))
    expected_prev = start_hash
    for link in stored:
        event = Event.objects.get(pk=link.event_id)
        assert link.prev_hash == expected_prev
        assert link.hash == chain.compute_hash(link.prev_hash, chain.event_values(event))
        assert event.actor_id == world.users["lan"].pk
        assert event.organisation_id == world.orgs["clinic_a"].pk
        expected_prev = link.hash
    assert chain.head() == (stored[-1].position, stored[-1].hash)
    # Events are numbered in the order written; the chain follows that order.
    assert [e.seq for e in events] == sorted(e.seq for e in events)

    # The whole chain, including what the fixture recorded, starts at #1 from the genesis hash.
    positions = list(Link.objects.order_by("position").values_list("position", flat=True))
    assert positions == list(range(1, len(positions) + 1))
    assert len(positions) == Event.objects.count()
    assert Link.objects.get(position=1).prev_hash == chain.GENESIS


def test_an_event_is_chained_only_by_the_sequencer(world: World) -> None:
    """Before its transaction commits an event has no link; verify counts it as pending."""
    chain.sequence()
    head = chain.head()
    event = actions.record(actor=world.users["lan"], action=CaseAction.SEARCH)
    assert not Link.objects.filter(event=event).exists()
    assert chain.head() == head
    verdict = chain.verify()
    assert verdict.ok and verdict.pending == 1 and verdict.oldest_pending == event.at
    assert chain.sequence() == 1
    assert chain.head() == (head[0] + 1, Link.objects.get(event=event).hash)
    assert chain.verify().pending == 0


def test_verify_accepts_an_untouched_chain(world: World) -> None:
    links = _record_links(world, 5)
    total = Event.objects.count()

    verdict = chain.verify()
    assert verdict.ok
    assert (verdict.count, verdict.head_seq, verdict.head_hash) == (
        total,
        links[-1].position,
        links[-1].hash,
    )
    assert chain.verify(batch=2) == verdict  # walking in small chunks changes nothing

    output = _command_output()
    assert "audit chain intact" in output
    assert f"{total} events, head #{links[-1].position} {links[-1].hash}" in output


def test_record_joins_the_callers_transaction(world: World) -> None:
    """An event recorded in a transaction that rolls back leaves no gap in the chain."""
    chain.sequence()
    head_before = chain.head()
    with pytest.raises(RuntimeError), transaction.atomic():
        _record_events(world, 2)
        raise RuntimeError("the action failed")
    assert chain.head() == head_before
    assert chain.verify().pending == 0

    (link,) = _record_links(world, 1)
    assert (link.position, link.prev_hash) == (head_before[0] + 1, head_before[1])
    assert chain.verify().ok


def test_events_recorded_in_a_request_verify(world: World) -> None:
    for ip in ("192.0.2.10", "2001:db8::1"):
        request = context.RequestContext(ip=ip, user_agent="Mozilla/5.0 (Android)", request_id="r1")
        with context.bound(request):
            event = actions.record(actor=world.users["lan"], action=CaseAction.CASE_READ)
        stored = Event.objects.get(pk=event.pk)
        assert (stored.ip, stored.user_agent) == (ip, "Mozilla/5.0 (Android)")
        assert stored.request_id == "r1"
    assert chain.verify().ok


def test_a_non_canonical_ipv6_address_does_not_break_the_chain(db: Any) -> None:
    with context.bound(context.RequestContext(ip="2001:DB8:0:0::1")):
        actions.record(actor=None, action=AccountAction.LOGIN_FAILED)
    assert chain.verify().ok


# ── 2. Append-only ─────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_event SET object_id = 'forged'",
        "UPDATE audit_event SET seq = seq + 1000",
        "UPDATE audit_event SET reason = NULL WHERE seq = (SELECT max(seq) FROM audit_event)",
        "DELETE FROM audit_event",
        "DELETE FROM audit_event WHERE seq = (SELECT max(seq) FROM audit_event)",
        "UPDATE audit_link SET hash = repeat('0', 64)",
        "UPDATE audit_link SET position = position + 1000",
        "DELETE FROM audit_link WHERE position = (SELECT max(position) FROM audit_link)",
        "UPDATE audit_seal SET head_hash = repeat('0', 64)",
        "UPDATE audit_seal SET seq = seq + 1",
        "DELETE FROM audit_seal",
    ],
)
def test_database_refuses_to_change_or_delete_audit_rows(world: World, sql: str) -> None:
    _record_events(world, 3)
    actions.seal_create(actor=None)
    events, seals = _rows(), list(Seal.objects.values_list())

    with (
        pytest.raises(ProgrammingError, match="is append-only") as excinfo,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)

    assert getattr(excinfo.value.__cause__, "sqlstate", None) == INSUFFICIENT_PRIVILEGE
    assert _rows() == events
    assert list(Seal.objects.values_list()) == seals
    assert chain.verify().ok


def test_queryset_update_and_delete_are_refused_by_the_database(world: World) -> None:
    _record_events(world, 2)
    actions.seal_create(actor=None)
    events, seals = _rows(), list(Seal.objects.values_list())

    for change in (
        lambda: Event.objects.update(object_id="forged"),
        lambda: Event.objects.all().delete(),
        lambda: Link.objects.update(hash="0" * 64),
        lambda: Seal.objects.update(head_hash="0" * 64),
        lambda: Seal.objects.all().delete(),
    ):
        with pytest.raises(ProgrammingError, match="is append-only"), transaction.atomic():
            change()

    assert _rows() == events
    assert list(Seal.objects.values_list()) == seals


def test_models_refuse_to_save_or_delete_an_existing_row(world: World) -> None:
    (recorded,) = _record_events(world, 1)
    seal = actions.seal_create(actor=None)
    events, seals = _rows(), list(Seal.objects.values_list())

    event = Event.objects.get(pk=recorded.pk)
    event.object_id = "forged"
    for row in (recorded, event):
        with pytest.raises(AppendOnlyError, match="never changed"):
            row.save()
        with pytest.raises(AppendOnlyError, match="never deleted"):
            row.delete()
    link = Link.objects.get(event=recorded)
    link.hash = "0" * 64
    with pytest.raises(AppendOnlyError, match="never changed"):
        link.save()
    with pytest.raises(AppendOnlyError, match="never deleted"):
        link.delete()
    seal.head_hash = "0" * 64
    with pytest.raises(AppendOnlyError, match="never changed"):
        seal.save()
    with pytest.raises(AppendOnlyError, match="never deleted"):
        seal.delete()

    assert _rows() == events
    assert list(Seal.objects.values_list()) == seals


# ── 3. Tampering ───────────────────────────────────────────────────────────────────────────

# One change per chained column of the event, plus the two hash columns of its link.
CHANGES = {
    "id": "id = gen_random_uuid()",
    "at": "at = at - interval '1 second'",
    "action": "action = 'export'",
    "actor": "actor_id = NULL",
    "organisation": "organisation_id = NULL",
    "object_type": "object_type = 'case'",
    "object_id": "object_id = 'obj-forged'",
    "person_id": "person_id = gen_random_uuid()",
    "ip": "ip = '203.0.113.7'",
    "user_agent": "user_agent = 'curl/8.5'",
    "request_id": "request_id = 'forged'",
    "reason": "reason = (SELECT o.reason FROM audit_event o WHERE o.seq = audit_event.seq - 1)",
    "detail": """detail = '{"found": 0, "kind": "name"}'::jsonb""",
    "prev_hash": "prev_hash = repeat('0', 64)",
    "hash": "hash = repeat('f', 64)",
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=list(CHANGES))
def test_a_changed_event_is_reported_as_changed(world: World, change: str) -> None:
    links = _record_links(world, 10)
    target = links[5].position
    with _tampering() as cursor:
        if "hash" in change:
            cursor.execute(f"UPDATE audit_link SET {change} WHERE position = %s", [target])
            assert cursor.rowcount == 1
        elif change.startswith("id ="):
            # The tamperer moves the link along with the event's id.
            new_id, old_id = str(uuid.uuid4()), str(links[5].event_id)
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(
                "UPDATE audit_link SET event_id = %s WHERE event_id = %s", [new_id, old_id]
            )
            cursor.execute("UPDATE audit_event SET id = %s WHERE id = %s", [new_id, old_id])
            assert cursor.rowcount == 1
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        else:
            cursor.execute(
                f"UPDATE audit_event SET {change} WHERE id = %s", [str(links[5].event_id)]
            )
            assert cursor.rowcount == 1

    verdict = chain.verify()
    broken = _first_break(verdict)
    assert (broken.seq, broken.kind) == (target, "changed")
    assert (verdict.count, verdict.head_seq, verdict.head_hash) == (
        target - 1,
        target - 1,
        links[4].hash,
    )
    _assert_command_reports(target, "changed")


def _delete(cursor: CursorWrapper, where: str, params: list[Any]) -> int:
    """Delete links and their events (the foreign key wants both gone)."""
    cursor.execute(f"DELETE FROM audit_link WHERE {where} RETURNING event_id", params)
    events = [row[0] for row in cursor.fetchall()]
    cursor.execute("DELETE FROM audit_event WHERE id = ANY(%s)", [events])
    return len(events)


@pytest.mark.parametrize("position", ["first", "middle"])
def test_a_deleted_event_is_reported_as_deleted(world: World, position: str) -> None:
    links = _record_links(world, 10)
    target = 1 if position == "first" else links[5].position
    with _tampering() as cursor:
        assert _delete(cursor, "position = %s", [target]) == 1

    verdict = chain.verify()
    broken = _first_break(verdict)
    # The gap shows at the event after it, which names the missing number.
    assert (broken.seq, broken.kind) == (target + 1, "deleted")
    assert f"#{target}–#{target}" in broken.message
    assert (verdict.count, verdict.head_seq) == (target - 1, target - 1)
    _assert_command_reports(target + 1, "deleted")


def test_a_deletion_hidden_by_renumbering_is_still_caught_where_it_happened(world: World) -> None:
    links = _record_links(world, 10)
    target = links[5].position
    with _tampering() as cursor:
        _delete(cursor, "position = %s", [target])
        cursor.execute(
            "UPDATE audit_link SET position = position - 1 WHERE position > %s", [target]
        )

    verdict = chain.verify()
    broken = _first_break(verdict)
    assert broken.seq == target
    assert verdict.count == target - 1
    _assert_command_reports(target, broken.kind)


def test_an_unchained_event_deleted_leaves_no_trace_until_chained(world: World) -> None:
    """The window of D33: an event not yet chained can be removed by someone who can bypass
    the trigger, and nothing tells; once chained, removing it breaks the chain."""
    links = _record_links(world, 3)
    late = actions.record(actor=world.users["lan"], action=CaseAction.SEARCH)
    with _tampering() as cursor:
        cursor.execute("DELETE FROM audit_event WHERE id = %s", [str(late.pk)])
    assert chain.verify().ok
    assert chain.sequence() == 0
    assert chain.head() == (links[-1].position, links[-1].hash)


def _insert_copy(world: World) -> int:
    """Insert a copy of an earlier event (new id, all else equal) mid-chain; return its place."""
    links = _record_links(world, 10)
    source, target = links[2], links[5].position
    copied = ", ".join(c for c in COLUMNS if c not in {"id", "seq"})
    copy = uuid.uuid4()
    with _tampering() as cursor:
        _make_room(cursor, target)
        cursor.execute(
            f"INSERT INTO audit_event (id, seq, {copied}) "
            f"SELECT %s, seq + 1000000, {copied} FROM audit_event WHERE id = %s",
            [copy, str(source.event_id)],
        )
        cursor.execute(
            "INSERT INTO audit_link (position, event_id, prev_hash, hash, at, horizon) "
            "SELECT %s, %s, prev_hash, hash, at, horizon FROM audit_link WHERE position = %s",
            [target, copy, source.position],
        )
        assert cursor.rowcount == 1
    assert Link.objects.filter(hash=source.hash).count() == 2
    return target


def test_an_inserted_copy_is_caught_where_it_was_inserted(world: World) -> None:
    target = _insert_copy(world)

    verdict = chain.verify()
    assert _first_break(verdict).seq == target
    assert verdict.count == target - 1
    with pytest.raises(CommandError, match=rf"BROKEN at event #{target} "):
        call_command("verify_audit_chain", stdout=StringIO())


def test_an_inserted_copy_is_reported_as_inserted(world: World) -> None:
    target = _insert_copy(world)

    broken = _first_break(chain.verify())
    assert (broken.seq, broken.kind) == (target, "inserted")


def test_an_insertion_by_a_key_holder_is_reported_as_inserted(world: World) -> None:
    """A forged event with a valid hash fits in, but the event after it still names its old
    predecessor, a link already seen."""
    links = _record_links(world, 10)
    target = links[5].position
    forged = Event(
        id=uuid.uuid4(),
        seq=10_000_000,
        at=links[4].event.at,
        action=AuditAction.EXPORT,
        object_type="person",
        object_id="forged",
    )
    forged.reason = "xuất danh sách"
    forged.save()
    forged_hash = chain.compute_hash(links[4].hash, chain.event_values(forged))
    with _tampering() as cursor:
        _make_room(cursor, target)
    Link(
        position=target,
        event=forged,
        prev_hash=links[4].hash,
        hash=forged_hash,
        at=links[4].at,
    ).save()

    verdict = chain.verify()
    broken = _first_break(verdict)
    assert (broken.seq, broken.kind) == (target + 1, "inserted")
    assert verdict.count == target
    _assert_command_reports(target + 1, "inserted")


def test_swapped_events_are_reported_as_reordered(world: World) -> None:
    links = _record_links(world, 10)
    target = links[5].position
    with _tampering() as cursor:
        cursor.execute("UPDATE audit_link SET position = -1 WHERE position = %s", [target])
        cursor.execute(
            "UPDATE audit_link SET position = %s WHERE position = %s", [target, target + 1]
        )
        cursor.execute("UPDATE audit_link SET position = %s WHERE position = -1", [target + 1])
    assert Link.objects.get(position=target).event_id == links[6].event_id

    verdict = chain.verify()
    broken = _first_break(verdict)
    assert (broken.seq, broken.kind) == (target, "reordered")
    assert verdict.count == target - 1
    _assert_command_reports(target, "reordered")


def test_a_rewrite_with_the_key_is_caught_by_the_seal(world: World) -> None:
    links = _record_links(world, 10)
    seal = actions.seal_create(actor=None)
    assert (seal.seq, seal.head_hash) == (links[-1].position, links[-1].hash)
    _record_events(world, 5)
    target = links[4].position

    with _tampering() as cursor:
        cursor.execute(
            "UPDATE audit_event SET object_id = 'forged' WHERE id = %s", [_event_of(target)]
        )
        _rechain(cursor, target)

    verdict = chain.verify()
    broken = _first_break(verdict)
    # Every link checks out; only the seal knows the head it saw.
    assert (broken.seq, broken.kind) == (seal.seq, "seal")
    assert verdict.count == seal.seq - 1
    _assert_command_reports(seal.seq, "seal")


def test_a_seal_kept_outside_catches_a_rewrite_of_chain_and_seals(world: World) -> None:
    links = _record_links(world, 10)
    seal = actions.seal_create(actor=None)
    token = seal.token
    target = links[4].position

    with _tampering() as cursor:
        cursor.execute(
            "UPDATE audit_event SET detail = '{}'::jsonb WHERE id = %s", [_event_of(target)]
        )
        new_head = _rechain(cursor, target)
    with _tampering("audit_seal") as cursor:
        cursor.execute("UPDATE audit_seal SET head_hash = %s WHERE id = %s", [new_head, seal.pk])

    assert chain.verify().ok  # the database alone can no longer tell
    broken = _first_break(chain.verify(extra_seals=[(seal.seq, seal.head_hash)]))
    assert (broken.seq, broken.kind) == (seal.seq, "seal")
    _assert_command_reports(seal.seq, "seal", "--seal", token)


def test_a_wrong_seal_on_the_command_line_is_reported(world: World) -> None:
    links = _record_links(world, 4)
    sealed = links[1]

    assert "audit chain intact" in _command_output("--seal", f"{sealed.position}:{sealed.hash}")
    assert "audit chain intact" in _command_output(
        "--seal", f"{sealed.position}:{sealed.hash.upper()}"
    )
    _assert_command_reports(sealed.position, "seal", "--seal", f"{sealed.position}:{'ab' * 32}")
    # A seal from a different position of the same chain does not fit either.
    _assert_command_reports(sealed.position, "seal", "--seal", f"{sealed.position}:{links[2].hash}")
    # Two seals: the good one passes, the bad one is reported.
    _assert_command_reports(
        links[3].position,
        "seal",
        "--seal",
        f"{sealed.position}:{sealed.hash}",
        "--seal",
        f"{links[3].position}:{'0' * 64}",
    )
    with pytest.raises(CommandError, match="a seal looks like"):
        call_command("verify_audit_chain", "--seal", f"{sealed.position}:abc", stdout=StringIO())


def test_a_cut_off_tail_is_caught_by_the_seal(world: World) -> None:
    links = _record_links(world, 10)
    seal = actions.seal_create(actor=None)
    with _tampering() as cursor:
        assert _delete(cursor, "position > %s", [links[6].position]) == 3

    verdict = chain.verify()
    broken = _first_break(verdict)
    assert (broken.seq, broken.kind) == (seal.seq, "seal")
    assert "cut" in broken.message
    assert (verdict.count, verdict.head_seq) == (links[6].position, links[6].position)
    _assert_command_reports(seal.seq, "seal")


def test_sealing_an_empty_chain_does_not_break_it(db: Any) -> None:
    assert not Event.objects.exists()
    seal = actions.seal_create(actor=None)
    assert (seal.seq, seal.head_hash) == (0, chain.GENESIS)
    assert chain.verify().ok
    actions.record(actor=None, action=AccountAction.LOGIN_FAILED)
    chain.sequence()
    assert chain.verify().ok and chain.verify().count == 1


# ── 4. Concurrent writers ──────────────────────────────────────────────────────────────────

THREADS = 8
EVENTS_PER_THREAD = 25


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_keep_one_unbroken_chain() -> None:
    assert not Event.objects.exists()
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            start.wait()
            for i in range(EVENTS_PER_THREAD):
                actions.record(actor=None, action=CaseAction.SEARCH, object_id=f"{worker}-{i}")
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=write, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []

    total = THREADS * EVENTS_PER_THREAD
    verdict = chain.verify()  # no sequencing step: each commit chained what was waiting
    assert verdict.ok, verdict.first_break
    assert verdict.count == total and verdict.pending == 0
    assert Event.objects.count() == total
    rows = list(Link.objects.order_by("position").values_list("position", "at", "event__object_id"))
    assert [position for position, _, _ in rows] == list(range(1, total + 1))
    times = [at for _, at, _ in rows]
    assert times == sorted(times)  # the sequencer reads the clock under its lock
    assert {object_id for _, _, object_id in rows} == {
        f"{n}-{i}" for n in range(THREADS) for i in range(EVENTS_PER_THREAD)
    }


# ── 5. No plaintext at rest ────────────────────────────────────────────────────────────────


def test_a_reason_is_stored_encrypted(world: World) -> None:
    event = actions.record(
        actor=world.users["lan"], action=CaseAction.EMERGENCY_ACCESS, reason=REASON
    )

    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM audit_event")
        reasons = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT audit_event::text FROM audit_event WHERE id = %s", [event.pk])
        (whole_row,) = cursor.fetchone() or ("",)
    stored = "\n".join(r for r in reasons if r is not None)
    assert stored  # the reason was written, as ciphertext
    for text in (stored, whole_row):
        for secret in ("Nguyễn", "Nguyen", "cấp cứu", REASON):
            assert secret.casefold() not in text.casefold()

    assert Event.objects.get(pk=event.pk).reason == REASON
    assert chain.verify().ok
