"""Many writers at once: every event lands in one unbroken chain, and no user's action fails.

Issue 26. Real threads, each with its own PostgreSQL connection, write events and run real
actions concurrently; afterwards ``verify_audit_chain`` (which first chains what is pending)
must pass and the number of events must equal the number of calls.

ASVS 16.4.2 (logs protected from modification: no event lost, forked or reordered when
writers race) and ASVS 16.5.2 (the application keeps working when a resource is contended).
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from audit import actions, chain
from audit.models import Event
from cases import actions as case_actions
from cases.events import CaseAction
from cases.models import Case, Person
from core.editing import OVERRIDE
from services import actions as service_actions
from services.models import ServiceRecord, ServiceType
from tests.conftest import World

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (concurrent connections)"
)

THREADS = 16
EVENTS_EACH = 25
ROUNDS = 30


def _run(workers: list[Callable[[], None]]) -> list[str]:
    """Start every worker at once, each on its own connection; return what they raised."""
    start = threading.Barrier(len(workers))
    failures: list[str] = []

    def run(work: Callable[[], None]) -> None:
        try:
            start.wait()
            work()
        except BaseException as exc:  # reported by the caller
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    return failures


def _work() -> None:
    """Take as long as the rest of an action's transaction does (a few milliseconds)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(0.002)")


def _verified() -> str:
    out = StringIO()
    call_command("verify_audit_chain", stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sixteen_concurrent_writers_all_land_in_one_verified_chain(world: World) -> None:
    lan = world.users["lan"]
    before = Event.objects.count()

    def writer(n: int) -> Callable[[], None]:
        def write() -> None:
            for i in range(EVENTS_EACH):
                detail = {"writer": n, "i": i}
                if n % 2:  # half inside a transaction with more work after the event
                    with transaction.atomic():
                        actions.record(actor=lan, action=CaseAction.SEARCH, detail=detail)
                        _work()
                else:
                    actions.record(actor=lan, action=CaseAction.SEARCH, detail=detail)

        return write

    assert _run([writer(n) for n in range(THREADS)]) == []
    written = Event.objects.filter(action=CaseAction.SEARCH, detail__has_key="writer")
    assert sorted((e["writer"], e["i"]) for e in written.values_list("detail", flat=True)) == [
        (n, i) for n in range(THREADS) for i in range(EVENTS_EACH)
    ]
    assert Event.objects.count() == before + THREADS * EVENTS_EACH
    assert "audit chain intact" in _verified()
    verdict = chain.verify()
    assert verdict.ok and verdict.count == Event.objects.count()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_committed_events_are_chained_without_a_sequencing_step(world: World) -> None:
    """Each committing writer chains what is pending: none is left once they are all done."""
    lan = world.users["lan"]

    def write() -> None:
        for i in range(EVENTS_EACH):
            with transaction.atomic():
                actions.record(actor=lan, action=CaseAction.SEARCH, detail={"i": i})

    assert _run([write] * 8) == []
    verdict = chain.verify()
    assert verdict.ok and verdict.pending == 0
    assert verdict.count == Event.objects.count()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_writer_that_rolls_back_leaves_no_gap(world: World) -> None:
    lan = world.users["lan"]
    holding, release = threading.Event(), threading.Event()

    def roll_back() -> None:
        with transaction.atomic():
            actions.record(actor=lan, action=CaseAction.SEARCH, detail={"doomed": True})
            holding.set()
            release.wait(timeout=30)
            transaction.set_rollback(True)

    def racer() -> None:
        holding.wait(timeout=30)
        actions.record(actor=lan, action=CaseAction.SEARCH, detail={"racer": True})
        release.set()

    assert _run([roll_back, racer]) == []
    assert not Event.objects.filter(detail__has_key="doomed").exists()
    assert Event.objects.filter(detail__has_key="racer").count() == 1
    assert "audit chain intact" in _verified()
    assert chain.verify().count == Event.objects.count()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_adding_a_record_while_the_case_is_edited_never_deadlocks(
    world: World, lan_person: Person
) -> None:
    """``record_add`` writes its event, then refreshes the case's due date; ``case_update``
    locks and saves the case, then writes its event. Run together, round after round, both
    must succeed every time (no deadlock, no failed save) and the chain must verify."""
    lan, mai = world.users["lan"], world.users["mai"]
    case = Case.objects.get(person=lan_person)
    counselling = ServiceType.objects.get(code="counselling")
    today = timezone.localdate()

    def add(n: int) -> Callable[[], None]:
        def work() -> None:
            service_actions.record_add(
                actor=lan,
                record=ServiceRecord(
                    case_id=case.pk,
                    service_type=counselling,
                    due_on=today + datetime.timedelta(days=n + 1),
                    note=f"buổi {n}",
                ),
            )

        return work

    def edit(n: int) -> Callable[[], None]:
        def work() -> None:
            current = Case.objects.get(pk=case.pk)
            data = case_actions.CaseData(
                category=current.category,
                status=current.status,
                opened_on=current.opened_on,
                organisation=current.organisation,
                assigned_to=mai if n % 2 else lan,
                notes=f"lần {n}",
            )
            case_actions.case_update(actor=lan, case=current, data=data, if_version=OVERRIDE)

        return work

    failures: list[str] = []
    for n in range(ROUNDS):
        failures += _run([add(n), edit(n)])
    assert failures == []
    assert ServiceRecord.objects.filter(case=case).count() == ROUNDS
    assert Event.objects.filter(action=CaseAction.CASE_CHANGED).count() == ROUNDS
    assert Case.objects.get(pk=case.pk).next_due_on == today + datetime.timedelta(days=1)
    assert "audit chain intact" in _verified()
