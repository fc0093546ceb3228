"""The sequencer process (``AUDIT_SEQUENCER = "process"``): requests only insert, it chains.

Issue 26: the chaining leaves the request path. A real ``manage.py sequence_audit_chain
--follow`` process runs against the test database while threads write events; everything
committed gets linked within a bounded time, the chain verifies, and SIGTERM stops it cleanly.

ASVS 16.4.2 (logs protected from modification: every committed event ends up chained, none
lost or forked) and ASVS 16.5.2 (the application keeps working under contention).
"""

from __future__ import annotations

import datetime
import os
import signal
import subprocess  # nosec B404: runs this project's own manage.py
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit import actions, chain
from audit.models import Event, Link
from cases.events import CaseAction
from tests.conftest import World

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (another process's connection)"
)

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{quote(db['NAME'])}"


def _start_sequencer() -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": _database_url(), "HOA_NHAP_DEMO": "1"}
    env["HOA_NHAP_AUDIT_SEQUENCER"] = "process"
    process = subprocess.Popen(  # nosec B603: fixed arguments, no shell
        [sys.executable, "manage.py", "sequence_audit_chain", "--follow", "--interval", "0.05"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    return process


def _stop(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    return process.returncode, out, err


def _wait_until_chained(deadline: float) -> int:
    while time.monotonic() < deadline:
        waiting, _oldest = chain.pending()
        if waiting == 0:
            return 0
        time.sleep(0.05)
    return chain.pending()[0]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@override_settings(AUDIT_SEQUENCER="process")
def test_a_commit_leaves_its_event_to_the_sequencer(world: World) -> None:
    """Without the sequencer nothing links it: the request paid only for the insert."""
    with transaction.atomic():
        actions.record(actor=world.users["lan"], action=CaseAction.SEARCH, object_type="person")
    waiting, oldest = chain.pending()
    assert waiting == 1 and oldest is not None
    verdict = chain.verify()
    assert verdict.ok and verdict.pending == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@override_settings(AUDIT_SEQUENCER="process")
def test_the_sequencer_process_chains_what_sixteen_writers_commit(world: World) -> None:
    lan = world.users["lan"]
    before = Event.objects.count()
    sequencer = _start_sequencer()
    failures: list[str] = []
    start = threading.Barrier(16)

    def write() -> None:
        try:
            start.wait()
            for i in range(20):
                with transaction.atomic():
                    actions.record(
                        actor=lan,
                        action=CaseAction.SEARCH,
                        object_type="person",
                        detail={"i": i},
                    )
        except BaseException as exc:  # reported below
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert failures == []
        assert _wait_until_chained(time.monotonic() + 20) == 0, "the sequencer fell behind"
    finally:
        code, out, err = _stop(sequencer)
    assert code == 0, err
    assert "audit sequencer stopped" in out
    assert Event.objects.count() - before == 16 * 20
    assert Link.objects.count() == Event.objects.count()
    verdict = chain.verify()
    assert verdict.ok and verdict.pending == 0, verdict.first_break


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@override_settings(AUDIT_SEQUENCER="process")
def test_the_sequencer_first_chains_what_waited_while_it_was_down(world: World) -> None:
    """Events committed while no sequencer ran (a crash, a restart) are chained at start."""
    for _ in range(3):
        with transaction.atomic():
            actions.record(actor=world.users["lan"], action=CaseAction.SEARCH, object_type="person")
    assert chain.pending()[0] == 3
    sequencer = _start_sequencer()
    try:
        assert _wait_until_chained(time.monotonic() + 20) == 0
    finally:
        code, _out, err = _stop(sequencer)
    assert code == 0, err
    assert chain.verify().ok


def test_an_unknown_sequencer_mode_stops_the_app_with_a_message() -> None:
    env = {**os.environ, "HOA_NHAP_DEMO": "1", "DATABASE_URL": "sqlite:///:memory:"}
    env["HOA_NHAP_AUDIT_SEQUENCER"] = "later"
    result = subprocess.run(  # nosec B603: fixed arguments, no shell
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "HOA_NHAP_AUDIT_SEQUENCER must be 'commit' or 'process'" in result.stderr


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@override_settings(AUDIT_SEQUENCER="process", AUDIT_CHAIN_LAG_WARNING=datetime.timedelta(0))
def test_the_auditor_is_warned_when_events_wait_for_their_link(world: World) -> None:
    """The sequencer stopped: the auditor's page says so, and says it no more once chained."""
    with transaction.atomic():
        actions.record(actor=world.users["lan"], action=CaseAction.SEARCH, object_type="person")
    auditor = world.client("an")
    page = auditor.get(reverse("audit:event_list"))
    assert page.status_code == 200
    assert b'data-testid="chain-waiting"' in page.content
    chain.sequence(wait=True, full=True)
    page = auditor.get(reverse("audit:event_list"))
    assert b'data-testid="chain-waiting"' not in page.content


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@override_settings(AUDIT_SEQUENCER="process")
def test_no_warning_while_the_sequencer_keeps_up(world: World) -> None:
    with transaction.atomic():
        actions.record(actor=world.users["lan"], action=CaseAction.SEARCH, object_type="person")
    page = world.client("an").get(reverse("audit:event_list"))
    assert b'data-testid="chain-waiting"' not in page.content  # waiting, but only just


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_each_commit_finds_its_pending_events_by_index_whatever_the_chain_length(
    world: World,
) -> None:
    """The sequencer's reads probe the links by index: never a scan that grows with the chain.

    With the horizon as a subquery the planner expected a third of the events and hashed
    every link at each commit (6–18 ms an event after 60,000 events, growing).
    """
    lan = world.users["lan"]
    with override_settings(AUDIT_SEQUENCER="process"):
        for _ in range(3000):
            actions.record(actor=lan, action=CaseAction.SEARCH, object_type="person")
    chain.sequence(wait=True, full=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_event; ANALYZE audit_link")
    with CaptureQueriesContext(connection) as seen, transaction.atomic():
        actions.record(actor=lan, action=CaseAction.SEARCH, object_type="person")
    reads = [q["sql"] for q in seen.captured_queries if "NOT EXISTS" in q["sql"]]
    assert len(reads) >= 2  # the pending events, then the check after releasing the lock
    with connection.cursor() as cursor:
        for sql in [*reads, _oldest_waiting_sql()]:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Seq Scan on audit_link" not in plan, plan
    assert chain.verify().ok


def _oldest_waiting_sql() -> str:
    with CaptureQueriesContext(connection) as seen:
        chain.oldest_waiting()
    return seen.captured_queries[-1]["sql"]
