"""Sync (``GET /api/v1/changes``) over the change feed, at national size (decision D59).

A client's sync goes through three phases, kept on its ``SyncState``:

1. **Walk** (first pull, and after a resync): every person, case and record of each synced
   kind the client's service account sees through ``cases.access``, by primary key, a page
   at a time; objects whose version the client was told already are skipped. Before the
   walk starts, the feed position is set to the oldest running transaction: whatever commits
   later comes through the feed.
2. **Sweep**: every object the client was told of and does not see now comes as gone.
3. **Feed**: the ``api_change`` rows (``api.feed``) after the position, only those of
   transactions no running transaction can precede (``xid`` below the current snapshot's
   ``xmin``), in (xid, seq) order, so a row committed late is never skipped. Each page
   checks the changed objects' visibility **now** through ``cases.access``; the ledger of
   what the client was told (``SyncTold``) turns a change of an object it no longer sees
   into "gone" (version 0) only if it was told of it.

A resync (walk then sweep, sending only what differs from what was told) starts when what
the client may see changes with no row it sees changing: its reach's fingerprint
(``access.reach_sync``: role, scope, organisations, live grants; moves left out) differs
from the last page's. Moves are followed person by person: when the people read through a
move's read period change, or the feed shows a person or case that became visible or
invisible without being inserted or deleted (a move, a hand-over: their cases and records
may have come or gone with them), the walk and sweep run for just those people (relatives,
cases and records included; ``SyncState.focus``) and the feed resumes where it stood.

Every page is recorded (``SyncEntry``), so a page whose answer was lost is given again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from audit import actions as audit
from cases import access
from cases import selectors as case_selectors

from . import actions, records, selectors
from .actions import BadCursor
from .events import ApiAction
from .feed import Kind, kinds
from .models import ApiClient, SyncEntry, SyncState, SyncTold
from .schemas import ChangesOut, Error

# Rows read per query by the walk, the sweep and the feed; rows looked at per page at most
# (a page may come back short, with ``more``, when many rows were not the client's).
BATCH = 500
BUDGET = 20_000
_LAST_SEQ = 2**63 - 1
_PEOPLE_AND_CASES = ("person", "case")


@dataclass(frozen=True)
class Entry:
    kind: str
    object_id: str
    case_id: UUID | None
    version: int  # 0: gone
    deleted: bool = False


@dataclass(frozen=True)
class Change_:
    seq: int
    entry: Entry
    data: dict[str, Any] | None


@dataclass(frozen=True)
class ChangesPage:
    changes: list[Change_]
    cursor: str
    more: bool


def _parse_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    if not re.fullmatch(r"[0-9]{1,18}", cursor):
        raise BadCursor(cursor)
    return int(cursor)


def _horizon() -> tuple[int, int | None]:
    """Return the current snapshot's xmin (every transaction below it has ended) and this
    transaction's id if it has one (its own rows are final to itself)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint,"
            " pg_current_xact_id_if_assigned()::text::bigint"
        )
        xmin, own = cursor.fetchone()
    return int(xmin), own


def _feed_rows(after: tuple[int, int], limit: int) -> list[tuple[int, int, str, str, str]]:
    """Return the next feed rows (seq, xid, kind, object id, op) after a position that no
    running transaction can still precede."""
    xmin, own = _horizon()
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT "seq", "xid", "kind", "object_id", "op" FROM "api_change"'
            ' WHERE ("xid", "seq") > (%s, %s) AND ("xid" < %s OR "xid" = %s)'
            ' ORDER BY "xid", "seq" LIMIT %s',
            [after[0], after[1], xmin, own if own is not None else -1, limit],
        )
        return [tuple(row) for row in cursor.fetchall()]


@dataclass
class _Page:
    """One page of new entries for a client, from where its state stands."""

    client: ApiClient
    state: SyncState
    room: int
    kinds: dict[str, Kind] = field(default_factory=kinds)
    out: list[Entry] = field(default_factory=list)
    keys: set[tuple[str, str]] = field(default_factory=set)
    looked: int = 0
    restarted: bool = False
    stopped: bool = False  # the page ends early, more to come

    @property
    def full(self) -> bool:
        return len(self.out) >= self.room

    def emit(self, entry: Entry) -> None:
        key = (entry.kind, entry.object_id)
        if key not in self.keys:
            self.keys.add(key)
            self.out.append(entry)

    def told(self, kind: str, ids: list[str]) -> dict[str, int]:
        """Return what the client was told of these objects, this page's entries included."""
        rows = SyncTold.objects.filter(client=self.client, kind=kind, object_id__in=ids)
        found: dict[str, int] = dict(rows.values_list("object_id", "version"))
        for entry in self.out:
            if entry.kind == kind:
                found[entry.object_id] = entry.version
        return found

    def visible(self, kind: Kind, ids: list[str] | None = None) -> Any:
        """Return the kind's rows the client sees (of ``ids``), as the query behind ``rows``."""
        found = access.visible(self.client.account, kind.model)
        return found if ids is None else found.filter(pk__in=[kind.pk(i) for i in ids])

    @staticmethod
    def rows(kind: Kind, found: Any) -> list[tuple[Any, int, UUID | None]]:
        """Return (pk, version, case id) of the rows (version 1 and no case where none)."""
        columns = ["pk"] + (["version"] if kind.versioned else [])
        columns += [kind.case_field] if kind.case_field else []
        out = []
        for row in found.values_list(*columns):
            version = row[1] if kind.versioned else 1
            case = row[0] if kind.name == "case" else row[-1] if kind.case_field else None
            out.append((row[0], version, case))
        return out

    # --- phases ---------------------------------------------------------------------------

    def restart(self) -> None:
        """Start a walk; the feed resumes from the oldest running transaction."""
        self.restarted = True
        state = self.state
        state.phase, state.kind, state.after = SyncState.Phase.SNAPSHOT, "", ""
        state.focus = ""
        state.feed_xid, state.feed_seq = -1, _LAST_SEQ
        if connection.vendor == "postgresql":
            state.feed_xid = _horizon()[0] - 1

    def follow(self, people: set[str]) -> None:
        """Walk and sweep again only for these people, their relatives, cases and records;
        the feed then resumes where it stood (a full walk under way starts again instead)."""
        self.restarted = True
        state = self.state
        if state.phase != SyncState.Phase.FEED:
            if not state.focus:
                self.restart()  # a full walk may have passed them already
                return
            people |= set(_split(state.focus))
        state.focus = ",".join(sorted(people))
        state.focused += 1
        state.phase, state.kind, state.after = SyncState.Phase.SNAPSHOT, "", ""

    def focused(self) -> tuple[set[str], list[UUID]] | None:
        """Return the people (relatives included) and cases a limited walk covers, or None."""
        if not self.state.focus:
            return None
        people, cases = access.people_and_cases_of([UUID(p) for p in _split(self.state.focus)])
        return {str(p) for p in people}, cases

    def run(self) -> bool:
        """Fill the page; return whether more may follow."""
        state = self.state
        # The reach without its moves: a move out is followed person by person (its read
        # period's start and end), never by a walk of everything the client sees.
        fingerprint, moved = access.reach_sync(self.client.account)
        moved_now = {str(p) for p in moved}
        moved_before = set(_split(state.moved_out))
        state.moved_out = ",".join(sorted(moved_now))
        if state.reach != fingerprint:
            if state.reach:
                state.resyncs += 1
            state.reach = fingerprint
            self.restart()
        elif moved_now != moved_before:
            self.follow(moved_now ^ moved_before)
        elif state.phase == SyncState.Phase.FEED and connection.vendor != "postgresql":
            self.restart()  # no feed on SQLite (the demo): walk and sweep each time
        while not self.full and self.looked < BUDGET:
            if state.phase == SyncState.Phase.SNAPSHOT:
                self.walk()
            elif state.phase == SyncState.Phase.SWEEP:
                self.sweep()
            elif not self.feed():
                return self.stopped
        return True

    def walk(self) -> None:
        state, names = self.state, list(self.kinds)
        state.kind = state.kind or names[0]
        kind = self.kinds.get(state.kind)
        rows = []
        focus = self.focused()
        if kind is not None:
            found = self.visible(kind)
            if focus is not None:
                found = found.filter(**{_person_path(kind): [UUID(p) for p in focus[0]]})
            if state.after:
                found = found.filter(pk__gt=kind.pk(state.after))
            rows = self.rows(kind, found.order_by("pk")[:BATCH])
            told = self.told(kind.name, [str(r[0]) for r in rows])
            for pk, version, case_id in rows:
                self.looked += 1
                if told.get(str(pk)) != version:
                    self.emit(Entry(kind.name, str(pk), case_id, version))
                state.after = str(pk)
                if self.full:
                    return
        if len(rows) < BATCH:
            later = names[names.index(state.kind) + 1 :] if state.kind in names else []
            state.kind, state.after = (later[0], "") if later else ("", "")
            if not later:
                state.phase = SyncState.Phase.SWEEP

    def sweep(self) -> None:
        state = self.state
        told = SyncTold.objects.filter(client=self.client, version__gt=0)
        focus = self.focused()
        if focus is not None:
            told = told.filter(Q(kind="person", object_id__in=focus[0]) | Q(case_id__in=focus[1]))
        if state.kind:
            told = told.filter(
                Q(kind__gt=state.kind) | Q(kind=state.kind, object_id__gt=state.after)
            )
        rows = list(
            told.order_by("kind", "object_id").values_list("kind", "object_id", "case_id")[:BATCH]
        )
        seen: dict[str, set[str]] = {}
        for name in {r[0] for r in rows}:
            kind = self.kinds.get(name)
            ids = [r[1] for r in rows if r[0] == name]
            seen[name] = (
                {str(pk) for pk in self.visible(kind, ids).values_list("pk", flat=True)}
                if kind
                else set()
            )
        for name, object_id, case_id in rows:
            self.looked += 1
            if object_id not in seen[name]:
                self.emit(Entry(name, object_id, case_id, 0))
            state.kind, state.after = name, object_id
            if self.full:
                return
        if len(rows) < BATCH:
            state.phase, state.kind, state.after = SyncState.Phase.FEED, "", ""
            state.focus = ""

    def feed(self) -> bool:
        """Take the next feed rows; return False when there were none."""
        state = self.state
        if connection.vendor != "postgresql":
            return False  # no feed on SQLite: the next call walks again
        rows = _feed_rows((state.feed_xid, state.feed_seq), BATCH)
        if not rows:
            return False
        last: dict[tuple[str, str], int] = {}
        ops: dict[tuple[str, str], set[str]] = {}
        for i, (_seq, _xid, name, object_id, op) in enumerate(rows):
            last[(name, object_id)] = i
            ops.setdefault((name, object_id), set()).add(op)
        now: dict[tuple[str, str], tuple[int, UUID | None]] = {}
        told: dict[tuple[str, str], int] = {}
        for name in {key[0] for key in last}:
            ids = [key[1] for key in last if key[0] == name]
            kind = self.kinds.get(name)
            if kind is not None:
                for pk, version, case_id in self.rows(kind, self.visible(kind, ids)):
                    now[(name, str(pk))] = (version, case_id)
            told.update({(name, i): v for i, v in self.told(name, ids).items()})
        for i, (seq, xid, name, object_id, _op) in enumerate(rows):
            self.looked += 1
            key = (name, object_id)
            if last[key] != i:
                state.feed_xid, state.feed_seq = xid, seq
                continue  # a later row of this batch stands for the object
            kind, was, seen = self.kinds.get(name), told.get(key), now.get(key)
            if seen is not None:
                changed = was != seen[0] or (
                    kind is not None and not kind.versioned and "U" in ops[key]
                )
                flipped = not was and "I" not in ops[key]  # came into view
                if changed and flipped and name in _PEOPLE_AND_CASES:
                    return self._follow(name, object_id)  # their cases and records may come
                if changed:
                    self.emit(Entry(name, object_id, seen[1], seen[0]))
            elif was:
                if name in _PEOPLE_AND_CASES and "D" not in ops[key]:
                    return self._follow(name, object_id)  # out of view: their cases too
                self.emit(Entry(name, object_id, None, 0, deleted="D" in ops[key]))
            state.feed_xid, state.feed_seq = xid, seq
            if self.full:
                return True
        return True

    def _follow(self, kind: str, object_id: str) -> bool:
        """Walk and sweep again from here for one person (a case's: its person), once a
        page: a person or case came into view or left it with no insert or delete (a move,
        a transfer), and their cases, records and relatives may have come or gone too."""
        if self.restarted:
            self.stopped = True
            return False
        people = [object_id] if kind == "person" else access.people_of_cases([UUID(object_id)])
        self.follow({str(p) for p in people})
        return True


def _split(text: str) -> list[str]:
    return [part for part in text.split(",") if part]


def _person_path(kind: Kind) -> str:
    """The ORM lookup from a kind's rows to their person's id (``__in``)."""
    if kind.name == "person":
        return "pk__in"
    if kind.name == "case":
        return "person_id__in"
    return kind.case_field.removesuffix("_id") + "__person_id__in"


def _record(client: ApiClient, fresh: list[Entry]) -> list[SyncEntry]:
    """Record a page's entries (for replay) and what the client now knows of each object."""
    entries = SyncEntry.objects.bulk_create(
        SyncEntry(
            client=client,
            object_type=e.kind,
            object_id=e.object_id,
            case_id=e.case_id,
            version=e.version,
            deleted=e.deleted,
        )
        for e in fresh
    )
    SyncTold.objects.bulk_create(
        [
            SyncTold(
                client=client,
                kind=e.kind,
                object_id=e.object_id,
                case_id=e.case_id,
                version=e.version,
            )
            for e in fresh
        ],
        update_conflicts=True,
        unique_fields=["client", "kind", "object_id"],
        update_fields=["version", "case_id"],
    )
    entries.sort(key=lambda e: e.seq)
    return entries


@dataclass
class _Payloads:
    data: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    people: set[UUID] = field(default_factory=set)


def _payloads(viewer: access.AnyUser, entries: list[SyncEntry]) -> _Payloads:
    """Return the current data of the entries' people and cases the viewer still sees (the
    lists' masking), and the people the page names (records name their case's person)."""
    out = _Payloads()
    person_ids = [e.object_id for e in entries if e.object_type == "person"]
    case_ids = [e.object_id for e in entries if e.object_type == "case"]
    people = list(
        access.visible_people(viewer).filter(pk__in=person_ids).select_related("residence_commune")
    )
    masked = case_selectors.masked_people(viewer=viewer, person_ids=[p.pk for p in people])
    for person in people:
        out.data[("person", str(person.pk))] = selectors.person_payload(
            person, identity=person.pk not in masked
        )
        out.people.add(person.pk)
    cases = list(access.visible_cases(viewer).filter(pk__in=case_ids).select_related("assigned_to"))
    parts = access.parts_by_case(viewer, [c.pk for c in cases])
    for case in cases:
        out.data[("case", str(case.pk))] = selectors.case_payload(
            case, parts=parts.get(case.pk, frozenset())
        )
        out.people.add(case.person_id)
    of_records = {
        e.case_id for e in entries if e.object_type not in _PEOPLE_AND_CASES and e.case_id
    }
    if of_records:
        out.people |= set(
            access.visible_cases(viewer)
            .filter(pk__in=of_records)
            .values_list("person_id", flat=True)
        )
    return out


def changes_page(*, client: ApiClient, cursor: str | None, limit: int) -> ChangesPage:
    """Return the next changes the client may see after ``cursor``, in order, each once.

    The entries after the cursor if this client was handed some already (a page whose
    answer was lost is given again), else a new page from the client's sync state (module
    docstring). Each page is one ``api_changes_listed`` event naming the people it carries.
    """
    viewer = client.account
    after = _parse_cursor(cursor)
    entries = SyncEntry.objects.filter(client=client)
    if after and not entries.filter(seq=after).exists():
        raise BadCursor(cursor)
    with transaction.atomic():
        SyncState.objects.get_or_create(client=client)
        state = SyncState.objects.select_for_update().get(client=client)
        pending = list(entries.filter(seq__gt=after).order_by("seq")[: limit + 1])
        if pending:
            more = len(pending) > limit or state.phase != SyncState.Phase.FEED
            pending = pending[:limit]
            phase = "replay"
        else:
            page = _Page(client=client, state=state, room=limit)
            more = page.run()
            phase = state.phase
            state.save()
            pending = _record(client, page.out)
        payloads = _payloads(viewer, pending)
        audit.record(
            actor=viewer,
            action=ApiAction.CHANGES_LISTED,
            obj=client,
            detail={
                "client": str(client.pk),
                "after": after,
                "count": len(pending),
                "phase": phase,
                "people": sorted({str(p) for p in payloads.people}),
            },
        )
    changes = []
    for e in pending:
        data = payloads.data.get((e.object_type, e.object_id))
        gone = e.object_type in _PEOPLE_AND_CASES and data is None
        entry = Entry(e.object_type, e.object_id, e.case_id, 0 if gone else e.version, e.deleted)
        changes.append(Change_(seq=e.seq, entry=entry, data=data))
    next_cursor = str(pending[-1].seq) if pending else (str(after) if after else "")
    return ChangesPage(changes=changes, cursor=next_cursor, more=more)


# --- the operation -------------------------------------------------------------------------

router = Router(tags=["sync"])
ERRORS: dict[Any, Any] = {frozenset({400, 401, 403, 404, 409, 422, 429}): Error}


class ChangesQuery(Schema):
    cursor: str | None = Field(default=None, pattern=r"^[0-9]{1,18}$")
    limit: int = Field(default=100, ge=1, le=500)


def record_urls() -> Callable[[str, str], str | None]:
    """Return a function giving a record's own endpoint (``/api/v1/<path>/<id>``, D58) from
    its feed kind and id, None for a kind the API gives no endpoint (a test app's type
    without an ``api`` spec). Both registries are read once, not once per entry of a page."""
    served = {kind.model: kind for kind in records.kinds()}
    pairs = {name: (kind, served.get(kind.model)) for name, kind in kinds().items()}

    def url(kind: str, object_id: str) -> str | None:
        feed_kind, api_kind = pairs.get(kind, (None, None))
        if feed_kind is None or api_kind is None:
            return None
        return records.read_url(api_kind, feed_kind.pk(object_id))

    return url


# The operation id it had in api/views.py (D53), kept for clients generated from the schema.
@router.get("/changes", response={200: ChangesOut, **ERRORS}, operation_id="api_views_changes")
def changes(request: HttpRequest, params: Query[ChangesQuery]) -> Any:
    """What changed since the cursor that the client may see: once each, in order."""
    client: ApiClient | None = getattr(request, "api_client", None)
    if client is None:
        actions.refuse_not_client(request.user)
    page = changes_page(client=client, cursor=params.cursor, limit=params.limit)
    record_url = record_urls()
    out = []
    for c in page.changes:
        e = c.entry
        record = e.kind not in _PEOPLE_AND_CASES
        out.append(
            {
                "seq": c.seq,
                "type": e.kind,
                "id": e.object_id,
                "version": e.version,
                "deleted": e.deleted,
                "case_id": e.case_id if record else None,
                "url": record_url(e.kind, e.object_id) if record and e.version else None,
                "person": c.data if e.kind == "person" else None,
                "case": c.data if e.kind == "case" else None,
            }
        )
    return {"changes": out, "cursor": page.cursor, "more": page.more}
