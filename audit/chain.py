"""Append events, chain them after they commit into a keyed hash chain, and verify it.

The hash is an HMAC with ``settings.AUDIT_CHAIN_KEY``: someone who can write to the
database but does not hold the key cannot forge a consistent chain after tampering.
Writers never wait for each other: ``append`` inserts the event in the caller's transaction
with no link, and right after the commit ``sequence`` (one at a time, under an advisory
lock) links every committed event still unlinked to the head, as an append-only ``Link``
(decision D33). A rolled-back event was never chained, so the chain has no gap.

The encrypted reason enters the hash as its plaintext, not its ciphertext: the chain proves
what was written, whichever key protects it at rest, so re-encrypting a reason to a new key
(``core.rotation``) keeps the chain valid. Verifying therefore decrypts the reasons, and
needs every key they are encrypted with; a reason that no longer decrypts is reported.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, QuerySet
from django.utils import timezone

from core import crypto

from .models import Event, Link, Seal

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
# The advisory lock one sequencer at a time holds ("HNAU" in ASCII).
SEQUENCER_LOCK = 0x484E4155
# Hashes remembered while verifying, to tell a replayed copy from a reordering.
RECENT_WINDOW = 100_000

CHAINED_FIELDS = (
    "id",
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
)


def _canonical(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is None or isinstance(value, (int, str, dict, list, bool, float)):
        return value
    return str(value)


def compute_hash(prev_hash: str, values: Iterable[Any]) -> str:
    """Return the HMAC of the previous hash and an event's chained values."""
    content = json.dumps(
        [prev_hash, *(_canonical(v) for v in values)],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    key: bytes = settings.AUDIT_CHAIN_KEY
    return hmac.new(key, content.encode(), hashlib.sha256).hexdigest()


_ID, _REASON = CHAINED_FIELDS.index("id"), CHAINED_FIELDS.index("reason")


def event_values(event: Event) -> list[Any]:
    """Return an event's chained values, the reason as plaintext ("" when there is none)."""
    return [getattr(event, name) for name in CHAINED_FIELDS]


def stored_values(values: Iterable[Any]) -> list[Any]:
    """Turn stored column values (in CHAINED_FIELDS order) into chained values.

    Raises ``crypto.DecryptionError`` if the reason does not decrypt for its event.
    """
    chained = list(values)
    sealed = chained[_REASON]
    label = Event._meta.get_field("reason").label
    chained[_REASON] = (
        "" if sealed is None else crypto.decrypt(sealed, label=label, row_id=str(chained[_ID]))
    )
    return chained


def details_of(action: str) -> list[tuple[int, dict[str, Any]]]:
    """Return the number and detail of every event of one action, in the order written."""
    rows = Event.objects.filter(action=action).order_by("seq").values_list("seq", "detail")
    return list(rows)


def _quote(model: type[Any]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def head() -> tuple[int, str]:
    """Return the position and hash of the newest link (0 and genesis if none).

    Only what is chained: ``sequence()`` first to include what has just committed.
    """
    # Table names come from model metadata, quoted; there are no values.
    sql = f"SELECT position, hash FROM {_quote(Link)} ORDER BY position DESC LIMIT 1"  # noqa: S608  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return (int(row[0]), str(row[1])) if row is not None else (0, GENESIS)


def append(event: Event) -> None:
    """Insert the event in the caller's transaction (or alone); chain it once it commits.

    Nothing here waits for another writer: the insert takes no lock that an action's own
    row updates could meet in the other order, and a conflict cannot happen, so there is
    nothing to retry. The database numbers the event (``Event.seq``) and notes its
    transaction (``Event.xid``); ``sequence`` links it into the chain after the commit. A
    rollback takes the event with the action, before it was ever chained.
    """
    event.at = timezone.now()
    if connection.vendor != "postgresql":
        # The single-user SQLite demo: no database sequence, and one writer at a time.
        event.seq = (Event.objects.aggregate(top=Max("seq"))["top"] or 0) + 1
    event.save()
    if settings.AUDIT_SEQUENCER == "commit":
        # robust: a sequencing failure is logged, never raised into the committed action.
        transaction.on_commit(sequence, robust=True)
    # "process": the sequencer beside the web server links it (``follow``).


def sequence(*, wait: bool = False, full: bool = False) -> int:
    """Chain every committed event that has no link yet, in the order they were written.

    One sequencer at a time, under a transaction-level advisory lock. Called after each
    commit that wrote an event (``append``): if another sequencer holds the lock it is
    chaining, and it looks again after releasing it, so an event whose own sequencer found
    the lock taken is still chained at once (see D33). ``wait`` queues for the lock instead
    (the seal, ``verify_audit_chain``, ``sequence_audit_chain``); ``full`` looks at every
    event, not only those of transactions running at the previous run. Inside a caller's
    transaction the lock is held to its commit and the caller's own events are chained too.
    Return how many events were chained.
    """
    if connection.in_atomic_block:
        _lock(wait=True, own=False)
        return _chain_pending(full=full)
    total = 0
    while True:
        with transaction.atomic():
            if not _lock(wait=wait, own=True):
                return total
            total += _chain_pending(full=full)
        # Released: an event committed while we held it may have found the lock taken.
        if not _pending_exists():
            return total
        wait = False


def _lock(*, wait: bool, own: bool) -> bool:
    """Take the sequencer's lock for this transaction; False if ``wait`` is off and it is taken.

    In a transaction of its ``own``, the links commit without waiting for the disk: they are
    derived from committed events, so a crash can only lose the newest links (the log is
    written in order), and the next run makes them again, hash for hash.
    """
    if connection.vendor != "postgresql":
        return True  # SQLite serialises writers itself
    function = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    unsynced = "set_config('synchronous_commit', 'off', true), " if own else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {unsynced}{function}(%s)", [SEQUENCER_LOCK])
        row = cursor.fetchone()
    return row is None or row[-1] is not False


def follow(*, interval: float, stopped: threading.Event, report: Callable[[int], None]) -> None:
    """Chain what commits, every ``interval`` seconds, until ``stopped`` is set.

    The sequencer process of ``AUDIT_SEQUENCER = "process"`` (``sequence_audit_chain
    --follow``). It first chains everything waiting (after a crash, events of any age), then
    only what committed since. If the database goes away it waits, doubling the pause up to
    30 seconds, and goes on when it is back; a run that fails leaves nothing half-linked (it
    is one transaction).
    """
    pause, full = interval, True
    while not stopped.is_set():
        try:
            chained = sequence(wait=True, full=full)
        except DatabaseError as exc:
            logger.warning("audit sequencer: %s; retrying in %.1f s", exc, pause)
            connection.close()
            stopped.wait(pause)
            pause = min(pause * 2, 30.0)
            continue
        pause, full = interval, False
        report(chained)
        stopped.wait(interval)


def _unlinked() -> QuerySet[Event]:
    """Return the committed events without a link."""
    return Event.objects.filter(~Exists(Link.objects.filter(event_id=OuterRef("pk"))))


def _column(name: str) -> str:
    return str(getattr(Event._meta.get_field(name), "column", name))


# Events chained per statement at most; a larger backlog takes several rounds.
BATCH = 5000


def _horizon() -> int:
    """Return the newest link's horizon: the oldest transaction running at the last run."""
    sql = f"SELECT horizon FROM {_quote(Link)} ORDER BY position DESC LIMIT 1"  # noqa: S608  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return int(row[0] or 0) if row is not None else 0


def _unlinked_events(*, since: bool) -> str:
    """Return SQL for the events without a link, as ``e``: ``FROM … WHERE …``.

    With ``since``, only those of transactions from a horizon on (one ``%s`` parameter):
    the index on ``xid`` finds them without reading the whole table.
    """
    event, link, q = _quote(Event), _quote(Link), connection.ops.quote_name
    recent = "e.xid >= %s AND " if since else ""
    return (
        f"FROM {event} e WHERE {recent}NOT EXISTS "  # noqa: S608  # nosec B608
        f"(SELECT 1 FROM {link} l WHERE l.event_id = e.{q(_column('id'))})"
    )


def _pending_rows(*, full: bool) -> tuple[int | None, int, str, int, list[list[Any]]]:
    """Return the snapshot's xmin, the head and the pending events' chained values.

    One statement, so one snapshot: every transaction below its xmin had finished when the
    events were read, so each committed event of theirs is among them (PostgreSQL). Raw SQL:
    this runs after every commit that wrote an event, and building the ORM queries cost
    more than running them.
    """
    link, q = _quote(Link), connection.ops.quote_name
    columns = ", ".join(f"e.{q(_column(name))}" for name in CHAINED_FIELDS)
    postgres = connection.vendor == "postgresql"
    xmin = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint" if postgres else "NULL"
    since = not full and postgres
    # The horizon goes in as a value read first (the lock keeps it still), not as a subquery:
    # planned against a subquery's unknown value, the planner expects a third of the table
    # and hashes every link, a scan that grows with the chain, at each commit.
    params = [_horizon()] if since else []
    # Identifiers come from model metadata, quoted; the values are parameters. The pending
    # events are found first (through the index on xid) and only then sorted: ordered and
    # limited in one step, the planner walks the whole table along the number's index.
    sql = (
        f"WITH h AS (SELECT position, hash, horizon FROM {link} "  # noqa: S608  # nosec B608
        f"ORDER BY position DESC LIMIT 1), "
        f"p AS MATERIALIZED (SELECT {columns}, e.{q(_column('seq'))} AS n "
        f"{_unlinked_events(since=since)}) "
        f"SELECT {xmin}, h.position, h.hash, h.horizon, p.* "
        f"FROM (SELECT 1) one LEFT JOIN h ON true LEFT JOIN p ON true ORDER BY p.n LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, BATCH])
        rows = cursor.fetchall()
    first = rows[0]
    converters = _converters()
    found = [_from_db(row[4:-1], converters) for row in rows if row[4] is not None]
    xid = None if first[0] is None else int(first[0])
    return xid, int(first[1] or 0), str(first[2] or GENESIS), int(first[3] or 0), found


def _converters() -> list[tuple[Any, list[Any]]]:
    """Return each chained column with the converters the ORM would apply to its values."""
    found = []
    for name in CHAINED_FIELDS:
        column: Any = getattr(Event._meta.get_field(name), "cached_col", None)
        converters = connection.ops.get_db_converters(column) if column is not None else []
        if column is not None:
            converters += column.output_field.get_db_converters(connection)
        found.append((column, converters))
    return found


def _from_db(values: Iterable[Any], converters: list[tuple[Any, list[Any]]]) -> list[Any]:
    """Convert raw column values as the ORM does: the backend's converters (SQLite's times
    and UUIDs), then the field's own (JSON, the sealed reason)."""
    out = []
    for (column, convert_all), value in zip(converters, values, strict=True):
        for convert in convert_all:
            value = convert(value, column, connection)
        out.append(value)
    return out


def _insert_links(links: list[Link]) -> None:
    """Insert the links: in one statement of arrays on PostgreSQL (this runs per commit)."""
    if connection.vendor != "postgresql":
        Link.objects.bulk_create(links)
        return
    sql = (
        f"INSERT INTO {_quote(Link)} (position, event_id, prev_hash, hash, at, horizon) "  # noqa: S608  # nosec B608
        "SELECT p, e, ph, h, %s, %s FROM unnest(%s::bigint[], %s::uuid[], %s::text[], "
        "%s::text[]) AS t(p, e, ph, h)"
    )
    first = links[0]
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                first.at,
                first.horizon,
                [link.position for link in links],
                [link.event_id for link in links],
                [link.prev_hash for link in links],
                [link.hash for link in links],
            ],
        )


def _chain_pending(*, full: bool) -> int:
    """Link the pending events (the lock is held). Return how many."""
    total = 0
    while True:
        xmin, position, prev, _horizon, rows = _pending_rows(full=full)
        if not rows:
            return total
        now = timezone.now()
        links = []
        for row in rows:
            try:
                values = stored_values(row)
            except crypto.DecryptionError:
                # Chain it as stored: verify names the event whose reason does not decrypt.
                values = list(row)
            position += 1
            digest = compute_hash(prev, values)
            links.append(
                Link(
                    position=position,
                    event_id=row[_ID],
                    prev_hash=prev,
                    hash=digest,
                    at=now,
                    horizon=xmin if len(rows) < BATCH else _horizon,
                )
            )
            prev = digest
        _insert_links(links)
        total += len(links)
        if len(rows) < BATCH:
            return total


def _pending_exists() -> bool:
    """Tell whether a committed event of a recent transaction still has no link."""
    if connection.vendor != "postgresql":
        return False
    sql = f"SELECT EXISTS (SELECT 1 {_unlinked_events(since=True)})"  # noqa: S608  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(sql, [_horizon()])
        row = cursor.fetchone()
    return bool(row and row[0])


def oldest_waiting() -> Any:
    """Return when the oldest committed event still without a link was written, or None.

    Cheap at any size (the horizon and the index on ``xid``, as the sequencer reads), for a
    page to warn when the chaining has stopped or fallen behind; it looks only at
    transactions that were running at the last run, which is where a waiting event is
    unless the chain was never sequenced after a crash (``pending`` counts everything).
    """
    if connection.vendor != "postgresql":
        return pending()[1]
    at = connection.ops.quote_name(_column("at"))
    sql = f"SELECT min(e.{at}) {_unlinked_events(since=True)}"  # noqa: S608  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(sql, [_horizon()])
        row = cursor.fetchone()
    return row[0] if row else None


def pending() -> tuple[int, Any]:
    """Return how many committed events have no link yet, and when the oldest was written."""
    found = _unlinked().aggregate(count=Count("pk"), oldest=Min("at"))
    return int(found["count"]), found["oldest"]


@dataclass(frozen=True)
class Break:
    seq: int
    kind: str  # "changed", "deleted", "inserted", "reordered", "seal", "key"
    message: str


@dataclass(frozen=True)
class Verdict:
    count: int
    head_seq: int
    head_hash: str
    first_break: Break | None
    # Committed events not chained yet (the sequencer runs right after each commit).
    pending: int = 0
    oldest_pending: Any = None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def _rows(batch: int) -> Iterator[tuple[Any, ...]]:
    fields = ("position", "prev_hash", "hash", *(f"event__{name}" for name in CHAINED_FIELDS))
    yield from Link.objects.order_by("position").values_list(*fields).iterator(chunk_size=batch)


def _readable(values: Iterable[Any]) -> list[Any] | None:
    """Return the chained values of a stored row, or None if its reason does not decrypt."""
    try:
        return stored_values(values)
    except crypto.DecryptionError:
        return None


def _unreadable(seq: int, sealed: Any) -> Break:
    """Tell a reason under a key missing from the ring apart from an altered one."""
    try:
        kid = crypto.key_id_of(sealed)
    except crypto.DecryptionError:
        kid = None
    if kid is not None and all(kid != known for known, _ in crypto.key_ring().keys):
        return Break(
            seq,
            "key",
            f"event #{seq} has a reason encrypted with key {kid!r}, which is not in "
            "HOA_NHAP_ENCRYPTION_KEYS: add it back to verify past this event",
        )
    return Break(seq, "changed", f"event #{seq} has a reason that does not decrypt: altered")


def verify(*, extra_seals: Iterable[tuple[int, str]] = (), batch: int = 5000) -> Verdict:
    """Walk the chain in order and return the first broken link, if any.

    Reads only: what has committed but is not chained yet is counted in ``pending``
    (``sequence()`` first to chain it).
    """
    seals: dict[int, str] = dict(Seal.objects.values_list("seq", "head_hash"))
    seals.update(extra_seals)
    # A seal of the empty chain (sequence 0) holds the genesis hash.
    if seals.pop(0, GENESIS) != GENESIS:
        return Verdict(0, 0, GENESIS, Break(0, "seal", "the seal of the empty chain is wrong"))
    expected_prev, last_seq, count = GENESIS, 0, 0
    recent: deque[str] = deque(maxlen=RECENT_WINDOW)
    recent_set: set[str] = set()
    for row in _rows(batch):
        seq, prev_hash, stored_hash = row[0], row[1], row[2]
        problem, values = None, _readable(row[3:])
        if stored_hash in recent_set:
            problem = Break(seq, "inserted", f"event #{seq} repeats an earlier event: inserted")
        elif values is None:
            problem = _unreadable(seq, row[3 + _REASON])
        elif compute_hash(prev_hash, values) != stored_hash:
            problem = Break(seq, "changed", f"event #{seq} does not match its hash: altered")
        elif seq != last_seq + 1:
            problem = Break(
                seq, "deleted", f"events #{last_seq + 1}–#{seq - 1} are missing: deleted"
            )
        elif prev_hash != expected_prev:
            if stored_hash in recent_set or prev_hash in recent_set:
                problem = Break(seq, "inserted", f"event #{seq} repeats an earlier link: inserted")
            else:
                problem = Break(
                    seq, "reordered", f"event #{seq} does not follow #{last_seq}: out of order"
                )
        elif seq in seals and seals.pop(seq) != stored_hash:
            problem = Break(seq, "seal", f"event #{seq} differs from its seal: rewritten")
        if problem is not None:
            return Verdict(count, last_seq, expected_prev, problem)
        if len(recent) == recent.maxlen:
            recent_set.discard(recent[0])
        recent.append(stored_hash)
        recent_set.add(stored_hash)
        expected_prev, last_seq, count = stored_hash, seq, count + 1
    waiting, oldest = pending()
    if seals:
        seq = min(seals)
        return Verdict(
            count,
            last_seq,
            expected_prev,
            Break(seq, "seal", f"sealed event #{seq} is missing: the chain was cut"),
            waiting,
            oldest,
        )
    return Verdict(count, last_seq, expected_prev, None, waiting, oldest)
