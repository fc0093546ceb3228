"""Measure the audit chain under K concurrent writers (issue 26): events/s, latency, failures.

Each writer is a process with its own PostgreSQL connection (as server workers are). After a
barrier, each calls the project's own ``audit.actions.record`` ``--events`` times, each call
inside a transaction; the "with work" variant keeps the transaction open ~2 ms after the event
(``pg_sleep(0.002)``, as an action's further statements do). Timed per call: the whole
transaction, commit and what runs on commit (the sequencer) included.

Strategies (``--strategy``):
- ``sequenced``: the project's append path (decision D33): insert, chain after the commit.
- ``process``: the same append path with ``AUDIT_SEQUENCER = "process"``: the writers only
  insert, and the sequencer process (``manage.py sequence_audit_chain --follow``) started for
  the row chains; what a national instance runs. Timed per call as above (no sequencing in
  it); the lag column shows how long events waited for their link.
- ``queue``: option (a), measured for the decision: a transaction-level advisory lock taken
  for the head read and the link insert, so held to the commit (``record`` with
  ``audit.chain.append`` replaced in the writers only).

After each row: the events still unchained once every writer returned, then
``sequence(full=True)`` and a full ``verify``; the event count must equal the calls.

Usage: ``make bench-chain`` or ``HOA_NHAP_DEMO=1 DATABASE_URL=postgres://…
python -m bench.audit_concurrency [--writers 1,4,16,32,64] [--events 500]``.
Nothing here asserts a time; CI does not run it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from audit import actions, chain  # noqa: E402
from audit.models import Event, Link  # noqa: E402
from cases.events import CaseAction  # noqa: E402

from . import sequencer as bench_sequencer  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def append_queued(event: Event) -> None:
    """Option (a): chain at once, in the caller's transaction, under a lock held to commit."""
    event.at = timezone.now()
    event.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [chain.SEQUENCER_LOCK])
    position, prev = chain.head()
    digest = chain.compute_hash(prev, chain.event_values(event))
    Link(position=position + 1, event=event, prev_hash=prev, hash=digest, at=timezone.now()).save()


@dataclass
class Outcome:
    latencies: list[float]
    failures: list[str]


def _writer(
    n: int, run: str, events: int, work: bool, strategy: str, barrier: Any, out: Any
) -> None:
    connections.close_all()  # never share the parent's connection
    if strategy == "queue":
        chain.append = append_queued
    settings.AUDIT_SEQUENCER = "process" if strategy == "process" else "commit"
    user = User.objects.get(username="bench-chain")
    latencies: list[float] = []
    failures: list[str] = []
    barrier.wait()
    for i in range(events):
        start = time.perf_counter()
        try:
            with transaction.atomic():
                actions.record(
                    actor=user,
                    action=CaseAction.SEARCH,
                    object_type="person",
                    detail={"run": run, "writer": n, "i": i},
                )
                if work:
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_sleep(0.002)")
        except Exception as exc:  # counted, never retried here
            failures.append(f"{type(exc).__name__}: {exc}".splitlines()[0][:200])
        latencies.append((time.perf_counter() - start) * 1000)
    connections.close_all()
    out.put((latencies, failures))


@dataclass
class Row:
    strategy: str
    work: bool
    writers: int
    calls: int
    seconds: float
    latencies: list[float]
    failures: list[str]
    left_unchained: int
    chained_after: int
    verified: bool
    counted: int
    lag_ms: list[float]

    @property
    def rate(self) -> float:
        return self.calls / self.seconds

    def cells(self) -> list[str]:
        lat = sorted(self.latencies)
        lag = sorted(self.lag_ms) or [0.0]
        return [
            self.strategy,
            "2 ms" if self.work else "—",
            str(self.writers),
            f"{self.rate:,.0f}",
            f"{_pct(lat, 50):.1f} / {_pct(lat, 95):.1f}",
            "0",
            f"{len(self.failures)}",
            "yes" if self.verified else "NO",
            f"{self.counted:,} / {self.calls:,}",
            f"{self.left_unchained}",
            f"{_pct(lag, 50):.0f} / {_pct(lag, 95):.0f} / {lag[-1]:.0f}",
        ]


HEADER = [
    "strategy",
    "work after event",
    "writers",
    "events/s",
    "p50 / p95 ms per event",
    "retries",
    "failed calls",
    "chain verified",
    "events / calls",
    "unchained when writers returned",
    "chain lag p50 / p95 / max ms",
]


def _pct(values: list[float], pct: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def measure(*, writers: int, events: int, work: bool, strategy: str) -> Row:
    run = uuid.uuid4().hex[:12]
    before = Event.objects.count()
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(writers + 1)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_writer, args=(n, run, events, work, strategy, barrier, out))
        for n in range(writers)
    ]
    sequencer = bench_sequencer.start() if strategy == "process" else None
    for proc in procs:
        proc.start()
    barrier.wait()
    start = time.perf_counter()
    results = [out.get() for _ in procs]
    seconds = time.perf_counter() - start
    for proc in procs:
        proc.join()
    latencies = [ms for lat, _ in results for ms in lat]
    failures = [f for _, fails in results for f in fails]
    left, _oldest = chain.pending()
    if sequencer is not None:
        bench_sequencer.stop(sequencer)
    chained_after = chain.sequence(wait=True, full=True)
    verdict = chain.verify()
    ours = Link.objects.filter(event__detail__run=run).values_list("at", "event__at")
    lag = [(linked - written).total_seconds() * 1000 for linked, written in ours]
    return Row(
        strategy,
        work,
        writers,
        writers * events,
        seconds,
        latencies,
        failures,
        left,
        chained_after,
        verdict.ok and verdict.pending == 0,
        Event.objects.count() - before,
        lag,
    )


def table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", default="1,4,16,32,64")
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument(
        "--strategy",
        default="sequenced",
        help="sequenced, process, queue, or a comma-separated list",
    )
    parser.add_argument("--variants", default="plain,work", help="plain, work or both")
    parser.add_argument("--out", default="", help="results file (default: <date>-chain.md)")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    User.objects.get_or_create(username="bench-chain")
    strategies = ["sequenced", "queue"] if args.strategy == "both" else args.strategy.split(",")
    variants = [v == "work" for v in args.variants.split(",")]
    load = os.getloadavg()
    print(
        f"{connection.vendor} on {os.cpu_count()} cores, load {load[0]:.1f} {load[1]:.1f}; "
        f"{args.events} events per writer",
        flush=True,
    )
    rows: list[Row] = []
    for strategy in strategies:
        for work in variants:
            for writers in [int(w) for w in args.writers.split(",")]:
                row = measure(writers=writers, events=args.events, work=work, strategy=strategy)
                rows.append(row)
                print("| " + " | ".join(row.cells()) + " |", flush=True)
                for failure in sorted(set(row.failures))[:3]:
                    print(f"    failure: {failure}", flush=True)
    report = (
        f"# Audit chain under concurrent writers ({timezone.localdate().isoformat()})\n\n"
        f"`python -m bench.audit_concurrency --writers {args.writers} --events {args.events} "
        f"--strategy {args.strategy} --variants {args.variants}`; PostgreSQL via "
        f"`scripts/with-postgres`, {os.cpu_count()} cores, load average at start "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}, end {os.getloadavg()[0]:.1f}.\n\n"
        + table(rows)
        + "\n"
    )
    path = Path(args.out) if args.out else RESULTS / f"{timezone.localdate()}-chain.md"
    path.write_text(report)
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    try:
        main()
    except Exception:
        traceback.print_exc()
        raise
