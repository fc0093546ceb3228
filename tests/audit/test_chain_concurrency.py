"""Writers racing for the chain head all land, in one unbroken chain.

``audit.chain.append`` takes no lock: the unique sequence number lets one of two writers that
read the same head link to it, and the other links again. These tests race real threads, each
with its own PostgreSQL connection, some inside a transaction of their own.

ASVS 16.4.2 (logs protected from modification: no event lost, forked or reordered when
writers race).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from audit import actions, chain
from audit.models import Event
from cases.events import CaseAction
from tests.conftest import World

THREADS = 6
EVENTS_EACH = 15


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_racing_writers_all_land_in_one_unbroken_chain(world: World) -> None:
    lan = world.users["lan"]
    before = Event.objects.count()
    start = threading.Barrier(THREADS)
    failures: list[str] = []

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(EVENTS_EACH):
                detail = {"writer": n, "i": i}
                if n % 2:  # half of them inside a transaction of their own, as actions do
                    with transaction.atomic():
                        actions.record(actor=lan, action=CaseAction.SEARCH, detail=detail)
                else:
                    actions.record(actor=lan, action=CaseAction.SEARCH, detail=detail)
        except BaseException as exc:  # reported below
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    written = Event.objects.filter(action=CaseAction.SEARCH, detail__has_key="writer")
    assert sorted((e["detail"]["writer"], e["detail"]["i"]) for e in written.values("detail")) == [
        (n, i) for n in range(THREADS) for i in range(EVENTS_EACH)
    ]
    seqs = list(Event.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, before + THREADS * EVENTS_EACH + 1))
    times = list(Event.objects.order_by("seq").values_list("at", flat=True))
    assert times == sorted(times)  # never backwards along the chain
    assert chain.verify().ok


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_writer_that_rolls_back_leaves_no_gap_for_the_racers(world: World) -> None:
    lan = world.users["lan"]
    holding = threading.Event()
    release = threading.Event()
    failures: list[str] = []

    def roll_back() -> None:
        try:
            with transaction.atomic():
                actions.record(actor=lan, action=CaseAction.SEARCH, detail={"doomed": True})
                holding.set()
                release.wait(timeout=30)
                transaction.set_rollback(True)
        except BaseException as exc:  # reported below
            failures.append(repr(exc))
        finally:
            connection.close()

    def racer() -> None:
        try:
            holding.wait(timeout=30)
            # Reads the same head as the doomed writer, waits on its row, then takes the slot.
            actions.record(actor=lan, action=CaseAction.SEARCH, detail={"racer": True})
        except BaseException as exc:  # reported below
            failures.append(repr(exc))
        finally:
            connection.close()

    doomed, racing = threading.Thread(target=roll_back), threading.Thread(target=racer)
    doomed.start()
    racing.start()
    holding.wait(timeout=30)
    release.set()
    doomed.join(timeout=60)
    racing.join(timeout=60)
    assert failures == []
    assert not Event.objects.filter(detail__has_key="doomed").exists()
    assert Event.objects.filter(detail__has_key="racer").count() == 1
    seqs = list(Event.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert chain.verify().ok
