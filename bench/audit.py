"""Measure what the audit trail costs: a person-page request with and without the event, 4
concurrent writers, and the chain-verify time per million events.

Usage: ``make bench`` or ``HOA_NHAP_DEMO=1 DATABASE_URL=postgres://… python -m bench.audit
[events]``. Reports medians and ratios measured in one run; nothing here asserts a time.
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402

import audit.actions  # noqa: E402
from accounts.actions import totp_device_create  # noqa: E402
from accounts.models import User  # noqa: E402
from audit import chain  # noqa: E402
from audit.models import Event, Link  # noqa: E402
from cases import access  # noqa: E402
from cases.events import CaseAction  # noqa: E402

from .data import build  # noqa: E402


def _client(user: User) -> Client:
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device_create(user=user, confirmed=True).persistent_id
    session.save()
    return client


def page_overhead(user: User, rounds: int = 300) -> None:
    """Time person-page requests with the audit event and with record() made a no-op,
    interleaved so that drift affects both alike."""
    person_ids = list(access.visible_people(user).values_list("pk", flat=True)[:rounds])
    client = _client(user)
    real = audit.actions.record

    def skip(**kwargs: Any) -> None:
        return None

    timings: dict[str, list[float]] = {"with": [], "without": []}
    for n, person_id in enumerate(person_ids * 2):
        mode = "with" if n % 2 == 0 else "without"
        audit.actions.record = real if mode == "with" else skip  # type: ignore[assignment]
        url = reverse("cases:person_detail", args=[person_id])
        start = time.perf_counter()
        response = client.get(url)
        timings[mode].append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    audit.actions.record = real
    with_ms, without_ms = (statistics.median(timings[k]) for k in ("with", "without"))
    print(
        f"person page: median {with_ms:.2f} ms with the audit event, {without_ms:.2f} ms "
        f"without; audit adds {with_ms - without_ms:.2f} ms "
        f"(ratio {with_ms / without_ms:.2f}; {len(timings['with'])} requests each)"
    )


def lock_cost(user: User, per_thread: int = 500) -> None:
    """Time record() alone, then the same number of events from 4 concurrent writers
    (``bench.audit_concurrency`` measures 1-64 writers)."""

    def write(count: int) -> None:
        for _ in range(count):
            audit.actions.record(actor=user, action=CaseAction.SEARCH, detail={"kind": "bench"})
        connections.close_all()

    start = time.perf_counter()
    write(per_thread * 4)
    single = (time.perf_counter() - start) * 1000 / (per_thread * 4)
    threads = [threading.Thread(target=write, args=(per_thread,)) for _ in range(4)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    concurrent = (time.perf_counter() - start) * 1000 / (per_thread * 4)
    print(
        f"record(): {single:.2f} ms per event from one writer; {concurrent:.2f} ms per event "
        f"(wall time) from 4 concurrent writers, chained after each commit "
        f"({per_thread * 4} events each way)"
    )


def fill_chain(total: int, user: User) -> None:
    """Append ``total`` events and their links in bulk (hashed and linked as the sequencer does)."""
    chain.sequence(wait=True, full=True)
    position, prev = chain.head()
    seq = Event.objects.aggregate(top=Max("seq"))["top"] or 0
    now = timezone.now()
    events: list[Event] = []
    links: list[Link] = []
    for n in range(total):
        position += 1
        seq += 1
        event = Event(
            id=uuid.uuid4(),
            seq=seq,
            at=now,
            action=CaseAction.PERSON_READ,
            actor=user,
            object_type="person",
            object_id=str(uuid.uuid4()),
            person_id=uuid.uuid4(),
            ip="10.0.0.1",
            user_agent="bench",
            request_id=uuid.uuid4().hex,
            detail={"perm": "view"},
        )
        event.__dict__["reason"] = None
        digest = chain.compute_hash(prev, chain.event_values(event))
        links.append(Link(position=position, event=event, prev_hash=prev, hash=digest, at=now))
        prev = digest
        events.append(event)
        if len(events) == 10_000 or n == total - 1:
            Event.objects.bulk_create(events)
            Link.objects.bulk_create(links)
            events, links = [], []
    with connection.cursor() as cursor:  # numbers taken here are not handed out again
        cursor.execute("SELECT setval('audit_event_seq_seq', %s)", [seq])


def verify_time(events: int, user: User) -> None:
    start = time.perf_counter()
    fill_chain(events - Event.objects.count(), user)
    built = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_event")
    start = time.perf_counter()
    verdict = chain.verify()
    elapsed = time.perf_counter() - start
    assert verdict.ok, verdict.first_break
    print(
        f"verify_audit_chain: {verdict.count} events in {elapsed:.1f} s = "
        f"{elapsed * 1_000_000 / verdict.count:.1f} s per million events "
        f"(chain built in bulk in {built:.1f} s)"
    )


def main() -> None:
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    call_command("migrate", verbosity=0)
    user, _numbers = build(5_000)
    print(f"dataset: 5000 people with a case each, {connection.vendor} on {os.cpu_count()} cores")
    _timed(lambda: page_overhead(user))
    _timed(lambda: lock_cost(user))
    _timed(lambda: verify_time(events, user))


def _timed(step: Callable[[], None]) -> None:
    step()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
