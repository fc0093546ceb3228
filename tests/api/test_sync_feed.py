"""Sync over the change feed (decision D59, docs/api.md "Sync"): every write of a synced
table is a feed row in the writing transaction; pages give each change once, in order,
records as thin entries, deletions and every kind of scope loss, and never skip a change a
transaction that committed late made."""

from __future__ import annotations

import datetime
import io
import threading
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from api import feed
from api.actions import api_client_revoke, change_feed_prune
from api.events import ApiAction
from api.models import Change, SyncState
from audit.models import Event
from cases import notes
from cases.models import Case, CaseUserObjectPermission, ContactNote, Move, Person
from cases.roles import grant_give, grant_revoke, role_request_decide, staff_profile_save
from services.methadone.models import Dose, DoseKind
from tests.api.support import call, make_client
from tests.conftest import World
from tests.factories import make_case, make_person
from tests.methadone.support import days_ago, methadone_episode

pytestmark = pytest.mark.django_db


def _changes(token: str, cursor: str = "", limit: int = 100) -> dict[str, Any]:
    url = f"/api/v1/changes?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
    response = call("get", url, token)
    assert response.status_code == 200, response.content
    return response.json()  # type: ignore[no-any-return]


def _ids(page: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(c["type"], c["id"], c["version"]) for c in page["changes"]]


def _drain(token: str, cursor: str, limit: int = 100) -> tuple[list[dict[str, Any]], str]:
    """Follow pages until one comes back empty; return every change and the last cursor."""
    seen: list[dict[str, Any]] = []
    while True:
        page = _changes(token, cursor, limit)
        seen += page["changes"]
        cursor = page["cursor"] or cursor
        if not page["changes"] and not page["more"]:
            return seen, cursor


def _note(world: World, case: Case, text: str = "Gặp gia đình") -> ContactNote:
    note = ContactNote(case=case, contacted_on=timezone.localdate(), text=text)
    return notes.contactnote_add(actor=world.users["lan"], note=note)


def test_every_synced_table_has_the_feed_triggers_recipe_types_included() -> None:
    found = feed.kinds()
    core = {"person", "case", "screening", "episode", "service", "dose", "referral"}
    recipe = {"contactnote", "plangoal", "caseclosure", "appointment", "document"}
    assert core | recipe <= set(found)
    assert [name for name, kind in found.items() if not feed.installed(kind.table)] == []
    assert feed.install() == []  # run again after migrate: nothing left to attach


def test_a_write_is_a_feed_row_in_the_writing_transaction(world: World, lan_person: Person) -> None:
    case = Case.objects.get(person=lan_person)
    before = Change.objects.count()
    with transaction.atomic():
        note = _note(world, case)
        row = Change.objects.filter(kind="contactnote", object_id=str(note.pk)).get()
    assert (row.op, row.case_id, row.version) == ("I", case.pk, note.version)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        assert row.xid == cursor.fetchone()[0]
    ContactNote.objects.filter(pk=note.pk).delete()
    gone = Change.objects.filter(kind="contactnote", object_id=str(note.pk)).latest("seq")
    assert (gone.op, gone.version) == ("D", 0)
    assert Change.objects.count() > before


def test_changes_come_exactly_once_in_the_order_written_records_as_thin_entries(
    world: World, lan_person: Person
) -> None:
    client, token = make_client(world)
    first, cursor = _drain(token, "")
    assert {c["type"] for c in first} == {"person", "case"}
    mine: set[tuple[str, str]] = set()
    for n in range(4):
        person = make_person(
            residence_commune=world.units["c1"], registered_by=world.orgs["clinic_a"]
        )
        case = make_case(person=person, organisation=world.orgs["clinic_a"])
        note = _note(world, case, f"Lần {n}")
        mine |= {("person", str(person.pk)), ("case", str(case.pk)), ("contactnote", str(note.pk))}
    # Another clinic's writes never reach this client.
    other = make_person(residence_commune=world.units["c3"], registered_by=world.orgs["clinic_b"])
    make_case(person=other, organisation=world.orgs["clinic_b"])
    seen, cursor = _drain(token, cursor, limit=5)
    # Each object once, in the order of its last change in the feed.
    last = {
        (kind, object_id): seq
        for seq, kind, object_id in Change.objects.order_by("seq").values_list(
            "seq", "kind", "object_id"
        )
    }
    assert [(c["type"], c["id"]) for c in seen] == sorted(mine, key=last.__getitem__)
    seqs = [c["seq"] for c in seen]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    entry = next(c for c in seen if c["type"] == "contactnote")
    assert entry["url"] == f"/api/v1/contact-notes/{entry['id']}"
    assert entry["case_id"] and entry["person"] is None and entry["case"] is None
    assert entry["version"] == 1 and entry["deleted"] is False
    assert _ids(_changes(token, cursor)) == []  # nothing twice
    assert SyncState.objects.get(client=client).phase == SyncState.Phase.FEED


def test_a_deleted_record_comes_as_gone_and_deleted(world: World, lan_person: Person) -> None:
    _client, token = make_client(world)
    case = Case.objects.get(person=lan_person)
    note = _note(world, case)
    first, cursor = _drain(token, "")
    assert ("contactnote", str(note.pk), 1) in [(c["type"], c["id"], c["version"]) for c in first]
    ContactNote.objects.filter(pk=note.pk).delete()
    page = _changes(token, cursor)
    assert [(c["type"], c["id"], c["version"], c["deleted"]) for c in page["changes"]] == [
        ("contactnote", str(note.pk), 0, True)
    ]
    assert page["changes"][0]["url"] is None


def test_doses_come_as_thin_entries_and_a_correction_comes_again(
    world: World, lan_person: Person
) -> None:
    _client, token = make_client(world)
    episode = methadone_episode(lan_person, clinic=world.orgs["clinic_a"], by=world.users["lan"])
    _first, cursor = _drain(token, "")
    dose = Dose.objects.create(
        episode=episode,
        given_on=days_ago(1),
        kind=DoseKind.OBSERVED,
        dose_mg=60,
        recorded_by=world.users["lan"],
    )
    page = _changes(token, cursor)
    assert [(c["type"], c["id"], c["case_id"]) for c in page["changes"]] == [
        ("dose", str(dose.pk), str(episode.case_id))
    ]
    assert _ids(_changes(token, page["cursor"])) == []
    Dose.objects.filter(pk=dose.pk).update(dose_mg=Decimal(55))  # a correction
    again = _changes(token, page["cursor"])
    assert _ids(again) == [("dose", str(dose.pk), 1)]


def test_an_unseen_change_to_a_person_the_client_no_longer_sees_is_not_sent(
    world: World, lan_person: Person, tuan_person: Person
) -> None:
    """A change of an object the client was never told of and does not see: nothing."""
    _client, token = make_client(world)
    _first, cursor = _drain(token, "")
    Person.objects.filter(pk=tuan_person.pk).update(version=F("version") + 1)
    assert _ids(_changes(token, cursor)) == []


def test_a_page_lost_in_the_feed_is_given_again(world: World, lan_person: Person) -> None:
    _client, token = make_client(world)
    _first, cursor = _drain(token, "")
    for _n in range(3):
        make_person(residence_commune=world.units["c1"], registered_by=world.orgs["clinic_a"])
    lost = _changes(token, cursor, limit=2)
    again = _changes(token, cursor, limit=2)  # the answer to `lost` never arrived
    assert _ids(again) == _ids(lost) and len(_ids(lost)) == 2
    rest, _cursor = _drain(token, again["cursor"])
    assert len(rest) == 1


# --- scope changes that touch no synced row ------------------------------------------------


def test_the_clients_scope_edited_takes_away_what_it_saw_and_brings_the_new(
    world: World, lan_person: Person, tuan_person: Person
) -> None:
    client, token = make_client(world)
    _first, cursor = _drain(token, "")
    profile = client.account.staff
    profile.organisation = world.orgs["clinic_b"]
    _saved, pending = staff_profile_save(actor=world.users["quan"], profile=profile)
    if pending is not None:
        role_request_decide(actor=world.users["hoa"], request=pending, approve=True)
    seen, _cursor = _drain(token, cursor)
    lan_case = Case.objects.get(person=lan_person)
    tuan_case = Case.objects.get(person=tuan_person)
    assert sorted(_ids({"changes": seen})) == sorted(
        [
            ("person", str(lan_person.pk), 0),
            ("case", str(lan_case.pk), 0),
            ("person", str(tuan_person.pk), tuan_person.version),
            ("case", str(tuan_case.pk), tuan_case.version),
        ]
    )
    assert SyncState.objects.get(client=client).resyncs == 1


def test_a_grant_ending_takes_the_case_away(
    world: World, lan_person: Person, tuan_person: Person
) -> None:
    """A referral's grant to the client, taken back (revoked) or run out (its expiry passed):
    no synced row changes, the case and its person still come as gone."""
    client, token = make_client(world)
    tuan_case = Case.objects.get(person=tuan_person)
    _first, cursor = _drain(token, "")
    later = timezone.now() + datetime.timedelta(hours=1)
    grant_give(actor=None, user=client.account, obj=tuan_case, expires_at=later)
    came, cursor = _drain(token, cursor)
    assert ("case", str(tuan_case.pk)) in [(c["type"], c["id"]) for c in came]
    # The grant runs out: no row of the case or the person changes.
    CaseUserObjectPermission.objects.filter(user=client.account).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    gone, cursor = _drain(token, cursor)
    assert sorted(_ids({"changes": gone})) == sorted(
        [("case", str(tuan_case.pk), 0), ("person", str(tuan_person.pk), 0)]
    )
    # Given again, then revoked.
    grant_give(actor=None, user=client.account, obj=tuan_case, expires_at=later)
    back, cursor = _drain(token, cursor)
    assert ("case", str(tuan_case.pk), tuan_case.version) in _ids({"changes": back})
    grant_revoke(actor=None, user=client.account, obj=tuan_case, scope="view")
    gone, cursor = _drain(token, cursor)
    assert ("case", str(tuan_case.pk), 0) in _ids({"changes": gone})


def test_a_moves_read_period_ending_takes_the_person_away(world: World) -> None:
    """A commune officer's client reads a person who moved out for a while; when the read
    period ends, no row changes, and the person, their case and its records come as gone."""
    person = make_person(residence_commune=world.units["c1"], registered_by=world.orgs["clinic_b"])
    case = make_case(person=person, organisation=world.orgs["clinic_b"])
    note = ContactNote.objects.create(
        case=case, contacted_on=timezone.localdate(), text="Ghi chép", author=world.users["tuan"]
    )
    client, token = make_client(world, role="commune_officer")
    first, cursor = _drain(token, "")
    assert {("person", str(person.pk)), ("case", str(case.pk)), ("contactnote", str(note.pk))} <= {
        (c["type"], c["id"]) for c in first
    }
    now = timezone.now()
    Move.objects.create(
        person=person,
        from_commune=world.units["c1"],
        to_commune=world.units["c3"],
        moved_on=timezone.localdate(),
        source="person",
        state="accepted",
        from_organisation=world.orgs["commune_x"],
        recorded_by=world.users["lan"],
        due_at=now,
        accepted_at=now,
        read_until=now + datetime.timedelta(hours=1),
    )
    Person.objects.filter(pk=person.pk).update(
        residence_commune=world.units["c3"], version=F("version") + 1
    )
    Case.objects.filter(pk=case.pk).update(residence_commune=world.units["c3"])
    during, cursor = _drain(token, cursor)
    assert ("person", str(person.pk), person.version + 1) in _ids({"changes": during})
    Move.objects.filter(person=person).update(read_until=now - datetime.timedelta(seconds=1))
    gone, cursor = _drain(token, cursor)
    assert sorted(_ids({"changes": gone})) == sorted(
        [("person", str(person.pk), 0), ("case", str(case.pk), 0), ("contactnote", str(note.pk), 0)]
    )
    assert SyncState.objects.get(client=client).resyncs == 0  # followed person by person


def test_a_move_out_of_a_districts_area_is_followed_person_by_person_not_by_a_walk(
    world: World, lan_person: Person
) -> None:
    """A district supervisor's client: a move out of its area, accepted, changes no reach
    but the moves; the client does not walk everything again (D59 trade-off), the person
    moved comes changed during the read period and gone, cases and records with them, when
    it ends."""
    person = make_person(residence_commune=world.units["c1"], registered_by=world.orgs["clinic_a"])
    case = make_case(person=person, organisation=world.orgs["clinic_b"])
    note = ContactNote.objects.create(
        case=case, contacted_on=timezone.localdate(), text="Ghi chép", author=world.users["tuan"]
    )
    client, token = make_client(world, "bo-huyen", role="supervisor", scope="d1")
    first, cursor = _drain(token, "")
    assert ("contactnote", str(note.pk)) in {(c["type"], c["id"]) for c in first}
    now = timezone.now()
    Move.objects.create(
        person=person,
        from_commune=world.units["c1"],
        to_commune=world.units["c3"],
        moved_on=timezone.localdate(),
        source="person",
        state="accepted",
        from_organisation=world.orgs["commune_x"],
        recorded_by=world.users["lan"],
        due_at=now,
        accepted_at=now,
        read_until=now + datetime.timedelta(hours=1),
    )
    Person.objects.filter(pk=person.pk).update(
        residence_commune=world.units["c3"], version=F("version") + 1
    )
    Case.objects.filter(pk=case.pk).update(residence_commune=world.units["c3"])
    during, cursor = _drain(token, cursor)
    assert _ids({"changes": during}) == [("person", str(person.pk), person.version + 1)]
    state = SyncState.objects.get(client=client)
    assert (state.resyncs, state.focused) == (0, 1)  # no walk of the whole district
    Move.objects.filter(person=person).update(read_until=now - datetime.timedelta(seconds=1))
    gone, cursor = _drain(token, cursor)
    assert sorted(_ids({"changes": gone})) == sorted(
        [("person", str(person.pk), 0), ("case", str(case.pk), 0), ("contactnote", str(note.pk), 0)]
    )
    state = SyncState.objects.get(client=client)
    assert (state.resyncs, state.focused) == (0, 2)
    # What the client still sees was not sent again, and later changes still come.
    later = _note(world, Case.objects.get(person=lan_person), "Sau khi chuyển đi")
    assert _ids(_changes(token, cursor)) == [("contactnote", str(later.pk), 1)]


# --- two writers committing out of order ---------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_change_committed_after_a_later_one_is_not_skipped(world: World) -> None:
    """Writer A writes first (lower seq) and commits last; writer B commits in between. A
    page taken while A runs must not move the cursor past A's row (a cursor over seq alone
    would): A's person arrives once A commits."""
    _client, token = make_client(world)
    _first, cursor = _drain(token, "")
    wrote, release, done = threading.Event(), threading.Event(), threading.Event()
    found: dict[str, Any] = {}

    def writer_a() -> None:
        try:
            with transaction.atomic():
                found["a"] = make_person(
                    residence_commune=world.units["c1"], registered_by=world.orgs["clinic_a"]
                )
                wrote.set()
                release.wait(timeout=60)
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=writer_a)
    thread.start()
    assert wrote.wait(timeout=60)
    b = make_person(residence_commune=world.units["c1"], registered_by=world.orgs["clinic_a"])
    during = _changes(token, cursor)
    assert str(found["a"].pk) not in [c["id"] for c in during["changes"]]
    cursor = during["cursor"] or cursor
    release.set()
    thread.join(timeout=60)
    assert done.is_set()
    rows = Change.objects.filter(kind="person")
    seq_a = rows.filter(object_id=str(found["a"].pk)).get().seq
    assert seq_a < rows.filter(object_id=str(b.pk)).get().seq  # written first, committed last
    after, _cursor = _drain(token, cursor)
    ids = [c["id"] for c in during["changes"] + after]
    assert ids.count(str(found["a"].pk)) == 1 and ids.count(str(b.pk)) == 1


# --- pruning the feed ----------------------------------------------------------------------


def _pruned() -> list[dict[str, Any]]:
    return [e.detail for e in Event.objects.filter(action=ApiAction.FEED_PRUNED).order_by("seq")]


def _rows(note: ContactNote) -> int:
    return Change.objects.filter(kind="contactnote", object_id=str(note.pk)).count()


def test_pruning_removes_rows_every_client_passed_and_keeps_what_one_still_needs(
    world: World, lan_person: Person
) -> None:
    """A row goes only when every client's position is past it; pruning never loses one."""
    _a, token_a = make_client(world, "bo-a")
    _b, token_b = make_client(world, "bo-b")
    _first, cursor_a = _drain(token_a, "")
    _first, cursor_b = _drain(token_b, "")
    case = Case.objects.get(person=lan_person)
    note = _note(world, case)
    _seen, cursor_a = _drain(token_a, cursor_a)  # a has passed the note; b has not
    removed = change_feed_prune()
    assert _rows(note) == 1  # b still needs it
    assert _pruned()[-1]["count"] == removed
    seen, cursor_b = _drain(token_b, cursor_b)
    assert ("contactnote", str(note.pk), 1) in _ids({"changes": seen})
    assert change_feed_prune() >= 1
    assert _rows(note) == 0  # every client has passed it
    # Later changes still come to both, once.
    later = _note(world, case, "Lần sau")
    for token, cursor in ((token_a, cursor_a), (token_b, cursor_b)):
        again, _cursor = _drain(token, cursor)
        assert _ids({"changes": again}) == [("contactnote", str(later.pk), 1)]


def test_a_client_created_after_pruning_still_gets_everything_it_sees(
    world: World, lan_person: Person
) -> None:
    """With no client, every row of an ended transaction goes; a new client walks what it
    sees, so nothing it sees depended on the pruned rows."""
    case = Case.objects.get(person=lan_person)
    note = _note(world, case)
    change_feed_prune()
    assert _rows(note) == 0 and not Change.objects.filter(kind="person").exists()
    _client, token = make_client(world)
    seen, _cursor = _drain(token, "")
    wanted = {("person", str(lan_person.pk)), ("case", str(case.pk))}
    wanted.add(("contactnote", str(note.pk)))
    assert wanted <= {(c["type"], c["id"]) for c in seen}


def test_pruning_again_removes_nothing_and_says_so(world: World, lan_person: Person) -> None:
    _client, token = make_client(world)
    _first, cursor = _drain(token, "")
    _note(world, Case.objects.get(person=lan_person))
    _drain(token, cursor)
    out = io.StringIO()
    call_command("prune_change_feed", "--batch", "2", stdout=out)  # several batches
    first = _pruned()[-1]["count"]
    assert first >= 3 and f"Removed {first} " in out.getvalue()
    left = sorted(Change.objects.values_list("seq", flat=True))
    assert change_feed_prune() == 0
    assert sorted(Change.objects.values_list("seq", flat=True)) == left
    assert [d["count"] for d in _pruned()] == [first, 0]


def test_a_revoked_client_holds_no_row_back(world: World, lan_person: Person) -> None:
    """A revoked client never pages again: its old position does not keep the feed."""
    client, token = make_client(world, "bo-old")
    _first, _cursor = _drain(token, "")
    note = _note(world, Case.objects.get(person=lan_person))
    api_client_revoke(actor=world.users["quan"], client=client)
    change_feed_prune()
    assert _rows(note) == 0
    assert SyncState.objects.get(client=client).reach == ""  # would walk again, never skip


def test_a_case_handed_into_a_districts_area_comes_with_its_records_without_a_walk(
    world: World,
) -> None:
    """A case comes into view with no insert (handed over to a clinic in the area): the
    client gets it, its person and its records by following that person alone."""
    person = make_person(residence_commune=world.units["c3"], registered_by=world.orgs["clinic_b"])
    case = make_case(person=person, organisation=world.orgs["clinic_b"])
    note = ContactNote.objects.create(
        case=case, contacted_on=timezone.localdate(), text="Ghi chép", author=world.users["tuan"]
    )
    client, token = make_client(world, "bo-huyen", role="supervisor", scope="d1")
    _first, cursor = _drain(token, "")
    Case.objects.filter(pk=case.pk).update(
        organisation=world.orgs["clinic_a"], version=F("version") + 1
    )
    came, cursor = _drain(token, cursor)
    assert sorted(_ids({"changes": came})) == sorted(
        [
            ("person", str(person.pk), person.version),
            ("case", str(case.pk), case.version + 1),
            ("contactnote", str(note.pk), 1),
        ]
    )
    state = SyncState.objects.get(client=client)
    assert state.resyncs == 0 and state.focused == 1
    assert _ids(_changes(token, cursor)) == []
    # Handed back: all three go, again without a walk.
    Case.objects.filter(pk=case.pk).update(
        organisation=world.orgs["clinic_b"], version=F("version") + 1
    )
    gone, _cursor = _drain(token, cursor)
    assert sorted(_ids({"changes": gone})) == sorted(
        [("person", str(person.pk), 0), ("case", str(case.pk), 0), ("contactnote", str(note.pk), 0)]
    )
    assert SyncState.objects.get(client=client).resyncs == 0
