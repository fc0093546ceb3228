"""Measure the scoped paths of issue 10 at two (or more) dataset sizes in one run.

Usage: ``make bench-scale [SCALE_SIZES=200000,1000000]`` or ``HOA_NHAP_DEMO=1
DATABASE_URL=postgres://… python -m bench.scale --sizes 200000,1000000``. For each size the
generator (bench.scale_data) grows the dataset, then each metric is timed for a caseworker, a
commune officer and a province supervisor through the app's own selectors and HTTP views
(signed-in, second-factor session). Prints a table of medians with the growth factor between
the first and the last size, writes the medians to bench/results/ and the query plans to
bench/plans/<size>/. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, F, Func, QuerySet  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402

from accounts.actions import totp_device_create  # noqa: E402
from cases import access, dues, selectors, timeline  # noqa: E402
from cases.choices import Role  # noqa: E402
from cases.models import Person  # noqa: E402
from core import normalize  # noqa: E402
from core.paging import cursor_of  # noqa: E402

from . import scale_data  # noqa: E402
from . import sequencer as bench_sequencer  # noqa: E402

HERE = Path(__file__).resolve().parent
# Whichever model AUTH_USER_MODEL names; the app's selectors take it as their viewer.
StaffUser = Any

METRICS = {
    "citizen_id_lookup": "citizen-ID lookup",
    "name_search": "name search (no diacritics)",
    "name_search_common": "name search, the most common name",
    "name_search_ten": "name search, a name ten people share",
    "case_list_page_1": "case list page 1 (HTTP)",
    "case_list_page_200": "case list page 200 (HTTP)",
    "person_page": "person page (HTTP)",
    "person_timeline": "person timeline (services)",
    "due_list": "due and overdue list (start page)",
    "decrypt_scan_ratio": "blind index vs decrypt-scan",
}
SAMPLE_PEOPLE = 50
CASE_PAGE = 50  # rows per case-list page (cases.selectors.case_list_page)
WANTED_PAGE = 200
ROOMY_WORK_MEM = "256MB"
DECLARE = re.compile(r"^DECLARE\s+\S+\s+.*?CURSOR\s+(?:WITH(?:OUT)?\s+HOLD\s+)?FOR\s+", re.I | re.S)


@dataclass
class Result:
    """One metric for one actor at one size: a median in ms (or a ratio), and how it was got."""

    value: float
    reps: int
    note: str = ""
    extra: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Sample:
    person_id: str
    citizen_id: str
    folded_name: str


@contextmanager
def roomy_work_mem() -> Iterator[None]:
    """Run the block in a transaction whose work_mem lets PostgreSQL hash a large IN list.

    Only for the bench's own bookkeeping (counts, the sample) and the decrypt-scan: with the
    default 4 MB, the current rules re-scan the materialised visible-case list for every person
    row, which at 200k people already takes over ten minutes per count. The timed lookups,
    searches and pages run at the server's default.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{ROOMY_WORK_MEM}'")
        yield


# --- the signed-in actors ----------------------------------------------------------------


def signed_in_client(user: StaffUser) -> Client:
    """Return a client signed in as the user and past the second factor (as bench.audit)."""
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device_create(user=user, confirmed=True).persistent_id
    session.save()
    return client


def visible_sample(user: StaffUser) -> list[Sample]:
    """Return people with a citizen ID the user may see, picked deterministically.

    Candidates are the lowest UUIDs (random, seeded) overall, of the user's organisation and of
    the user's scope; cases.access decides which of them the user may see.
    """
    profile = user.staff
    with connection.cursor() as cursor:
        cursor.execute(
            """
            (SELECT id FROM cases_person WHERE citizen_id IS NOT NULL ORDER BY id LIMIT 2000)
            UNION (SELECT id FROM cases_person WHERE citizen_id IS NOT NULL
                   AND registered_by_id = %s ORDER BY id LIMIT 300)
            UNION (SELECT p.id FROM cases_person p
                   JOIN cases_administrativeunit u ON u.id = p.residence_commune_id
                   WHERE p.citizen_id IS NOT NULL AND u.path LIKE %s ORDER BY p.id LIMIT 300)
            """,
            [profile.organisation_id, profile.scope_unit.path + "%"],
        )
        candidates = [row[0] for row in cursor.fetchall()]
    people = access.visible_people(user).filter(pk__in=candidates).order_by("id")
    with roomy_work_mem():
        picked = list(people[:SAMPLE_PEOPLE])
    if not picked:
        raise RuntimeError(f"{user}: no visible person with a citizen ID among the candidates")
    return [Sample(str(p.pk), p.citizen_id, normalize.fold_text(p.full_name)) for p in picked]


# --- timing ----------------------------------------------------------------------------------


def timed(run: Callable[[int], object], *, reps: int, budget_s: float, warmup: int = 3) -> Result:
    """Return the median of ``reps`` calls after a warm-up, fewer if a call is very slow."""
    return timed_rounds({0: run}, reps=reps, budget_s=budget_s, rounds=1, warmup=warmup)[0]


def timed_rounds[K](
    calls: dict[K, Callable[[int], object]],
    *,
    reps: int,
    budget_s: float,
    rounds: int,
    warmup: int = 3,
) -> dict[K, Result]:
    """Return each call's median of ``reps`` timed calls, taken in ``rounds`` passes over all
    the calls, so that each median draws on the whole measuring time: a burst of other work
    on the machine touches a few calls of every metric instead of every call of one."""
    planned: dict[K, int] = {}
    notes: dict[K, str] = {}
    done: dict[K, int] = {}
    for key, run in calls.items():
        warm = []
        for n in range(warmup):
            start = time.perf_counter()
            run(n)
            warm.append(time.perf_counter() - start)
            if warm[-1] > 10:
                break  # one slow warm-up call is warm-up enough
        per_call = statistics.median(warm)
        planned[key] = reps
        if per_call * reps > budget_s:
            planned[key] = max(5, int(budget_s / per_call))
            notes[key] = f"{planned[key]} reps, not {reps} ({per_call:.1f} s a call)"
        done[key] = warmup
    timings: dict[K, list[float]] = {key: [] for key in calls}
    for round_ in range(rounds):
        for key, run in calls.items():
            # This round's share, so that the rounds add up to the planned count.
            share = planned[key] * (round_ + 1) // rounds - planned[key] * round_ // rounds
            for _ in range(share):
                start = time.perf_counter()
                run(done[key])
                timings[key].append((time.perf_counter() - start) * 1000)
                done[key] += 1
    return {
        key: Result(round(statistics.median(timings[key]), 2), planned[key], notes.get(key, ""))
        for key in calls
    }


def _ok(response: Any) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code} from {response.request['PATH_INFO']}")


@dataclass
class Actor:
    label: str
    user: StaffUser
    client: Client
    sample: list[Sample]
    visible_people: int
    visible_cases: int
    common_name: str = ""
    common_holders: int = 0
    ten_name: str = ""
    ten_holders: int = 0

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.visible_cases / CASE_PAGE))

    @property
    def deep_page(self) -> int:
        return min(WANTED_PAGE, self.pages)


def _lookup(actor: Actor, n: int) -> None:
    sample = actor.sample[n % len(actor.sample)]
    found = selectors.person_search(viewer=actor.user, kind="citizen_id", query=sample.citizen_id)
    if [str(p.pk) for p in found] != [sample.person_id]:
        raise RuntimeError(f"citizen-ID lookup for {actor.label} did not find exactly the person")


def _name(actor: Actor, n: int) -> None:
    sample = actor.sample[n % len(actor.sample)]
    found = selectors.person_search(viewer=actor.user, kind="name", query=sample.folded_name)
    if not found:
        raise RuntimeError(f"name search for {actor.label} found nobody")


def _common_name(actor: Actor, n: int) -> None:
    found = selectors.person_search(viewer=actor.user, kind="name", query=actor.common_name)
    if not found:
        raise RuntimeError(f"common-name search for {actor.label} found nobody")


def _ten_name(actor: Actor, n: int) -> None:
    found = selectors.person_search(viewer=actor.user, kind="name", query=actor.ten_name)
    if len(found) != min(actor.ten_holders, selectors.SEARCH_LIMIT):
        raise RuntimeError(f"ten-holder name search for {actor.label} found {len(found)}")


# The answer the fixed-answer name metric asks for at every size: what grows then is the
# table, not the number of people the search must show.
FIXED_ANSWER = 10


def most_common_name(user: StaffUser) -> tuple[str, int]:
    """Return the folded full name most people the user may see share, and how many share it."""
    return shared_name(user, holders=None)


def shared_name(user: StaffUser, *, holders: int | None) -> tuple[str, int]:
    """Return a folded full name people the user may see share, and how many share it.

    With ``holders`` None, the largest name-index bucket among the visible people; otherwise
    the first bucket (by index value) with that many visible holders, or the nearest count.
    Then the commonest name among the bucket's visible holders (a bucket may hold a colliding
    name too), and how many of them bear it. Untimed bookkeeping.
    """
    with roomy_work_mem():
        buckets = access.visible_people(user).values("name_index").annotate(holders=Count("id"))
        if holders is None:
            top = buckets.order_by("-holders", "name_index").first()
        else:
            distance = Func(F("holders") - holders, function="ABS")
            top = buckets.order_by(distance, "name_index").first()
        if top is None:
            return "", 0
        holders_of_bucket = access.visible_people(user).filter(name_index=top["name_index"])
        names = [normalize.fold_text(p.full_name) for p in holders_of_bucket.only("full_name")]
    name = max(sorted(set(names)), key=names.count)
    return name, names.count(name)


def _case_list(actor: Actor, page: int, n: int) -> None:
    url = reverse("cases:case_list") + (f"?page={page}" if page > 1 else "")
    _ok(actor.client.get(url))


def _deep_page_url(actor: Actor) -> str:
    """Return the URL of the deep page as the app's "next" link gives it: the page number
    and the cursor of the previous page's last row (computed once, not timed)."""
    page = actor.deep_page
    if page == 1:
        return reverse("cases:case_list")
    order = selectors.CASE_SORTS["newest"]
    cases = selectors.case_list_for(viewer=actor.user).order_by(*order)
    last = cases[(page - 1) * CASE_PAGE - 1]
    return reverse("cases:case_list") + f"?page={page}&after={cursor_of(last, order)}"


def _case_list_deep(actor: Actor, url: str, n: int) -> None:
    _ok(actor.client.get(url))


def _person_page(actor: Actor, n: int) -> None:
    sample = actor.sample[n % len(actor.sample)]
    _ok(actor.client.get(reverse("cases:person_detail", args=[sample.person_id])))


def _timeline(actor: Actor, n: int) -> None:
    sample = actor.sample[n % len(actor.sample)]
    person = Person(pk=UUID(sample.person_id))
    # A person may be visible without a visible case (a commune's resident held elsewhere):
    # an empty timeline is an answer too.
    timeline.for_person(viewer=actor.user, person=person)


def _due(actor: Actor, n: int) -> None:
    until = timezone.localdate() + selectors.DUE_SOON
    if not dues.due_for(viewer=actor.user, until=until):
        raise RuntimeError(f"nothing due for {actor.label}")


def _scan(actor: Actor, cap: int, wanted: str) -> tuple[float, float, int]:
    """Decrypt the citizen ID of up to ``cap`` visible people; return (first row s, rows s, n)."""
    with roomy_work_mem():
        start = time.perf_counter()
        first = start
        rows = 0
        matches = 0
        people = access.visible_people(actor.user).only("id", "citizen_id")[:cap]
        for person in people.iterator(chunk_size=2000):
            if rows == 0:
                first = time.perf_counter()
            rows += 1
            matches += normalize.digits(person.citizen_id) == wanted
        return first - start, time.perf_counter() - first, rows


def decrypt_scan_ratio(actor: Actor, lookup_ms: float, cap: int) -> Result:
    """Estimate a decrypt-every-visible-person search, divided by the blind-index lookup.

    The scan is capped at ``cap`` rows; the rows' time is extrapolated linearly to every person
    the actor may see (the query's time to its first row is counted once).
    """
    runs = [_scan(actor, cap, actor.sample[0].citizen_id) for _ in range(3)]
    first_s, rows_s, rows = (statistics.median(x) for x in zip(*runs, strict=True))
    scan_ms = (first_s + rows_s * actor.visible_people / max(rows, 1)) * 1000
    note = "" if rows >= actor.visible_people else f"{int(rows):,} of {actor.visible_people:,} rows"
    extra = {"scan_ms": round(scan_ms, 1), "lookup_ms": round(lookup_ms, 2)}
    return Result(round(scan_ms / lookup_ms, 1), 3, note, extra)


# --- plans -------------------------------------------------------------------------------


def save_plans(
    run: Callable[[], object],
    path: Path,
    title: str,
    *,
    work_mem: str = "",
    limit: int = 4,
    tables: tuple[str, ...] = ('"cases_person"', '"cases_case"'),
    what: str = "people/cases",
) -> None:
    """Run once capturing the SQL; EXPLAIN (ANALYZE, BUFFERS) the slowest reads naming one of
    ``tables`` (the slowest first) into ``path``, under the work_mem the call had (default:
    the server's)."""
    with CaptureQueriesContext(connection) as captured:
        run()
    work_mem = work_mem or _setting("work_mem")
    reads = []
    for query in captured.captured_queries:
        # A server-side cursor (QuerySet.iterator) wraps its SELECT in DECLARE … FOR.
        sql = DECLARE.sub("", query["sql"].strip())
        if sql.upper().startswith(("SELECT", "WITH")) and any(t in sql for t in tables):
            reads.append({"sql": sql, "time": query["time"]})
    reads.sort(key=lambda q: float(q["time"]), reverse=True)
    parts = [
        f"{title}\n{len(captured)} statements in the call (work_mem {work_mem}); "
        f"the slowest reads of {what}:"
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('work_mem', %s, true)", [work_mem])
        for n, query in enumerate(reads[:limit], 1):
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
            parts.append(f"\n--- {n}. {query['time']} s in the call\n{query['sql']}\n\n{plan}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s)", [name])
        value: str = cursor.fetchone()[0]
    return value


# --- one size --------------------------------------------------------------------------------


def prepare(world: scale_data.World) -> list[Actor]:
    user_model = get_user_model()
    actors = []
    for label, user_id in world.actors.items():
        user = user_model.objects.select_related("staff__scope_unit").get(pk=user_id)
        name, holders = most_common_name(user)
        ten_name, ten_holders = shared_name(user, holders=FIXED_ANSWER)
        actors.append(
            Actor(
                label=label,
                user=user,
                client=signed_in_client(user),
                sample=visible_sample(user),
                visible_people=_count(access.visible_people(user)),
                visible_cases=_count(selectors.case_list_for(viewer=user)),
                common_name=name,
                common_holders=holders,
                ten_name=ten_name,
                ten_holders=ten_holders,
            )
        )
    return actors


def _count(queryset: QuerySet[Any]) -> int:
    with roomy_work_mem():
        return queryset.count()


def _calls(actor: Actor) -> dict[str, Callable[[int], object]]:
    """Return the timed calls of one actor, by metric."""
    calls: dict[str, Callable[[int], object]] = {
        "citizen_id_lookup": partial(_lookup, actor),
        "name_search": partial(_name, actor),
        "name_search_common": partial(_common_name, actor),
        "name_search_ten": partial(_ten_name, actor),
        "case_list_page_1": partial(_case_list, actor, 1),
        "case_list_page_200": partial(_case_list_deep, actor, _deep_page_url(actor)),
        "person_page": partial(_person_page, actor),
        "person_timeline": partial(_timeline, actor),
    }
    if not access.has_role(actor.user, Role.SUPERVISOR):  # supervisors are given no work
        calls["due_list"] = partial(_due, actor)
    return calls


def _annotate(metric: str, actor: Actor, result: Result) -> None:
    """Add what a metric's median depends on to its note (untimed)."""
    if metric == "case_list_page_200" and actor.deep_page != WANTED_PAGE:
        result.note = "; ".join(filter(None, [f"page {actor.deep_page} (the last)", result.note]))
    if metric == "name_search":
        found = statistics.median(_found(actor))
        result.extra["median_found"] = found
        result.note = f"median {found:g} people found"
    if metric == "name_search_common":
        result.extra["holders"] = actor.common_holders
        result.note = f"{actor.common_holders:,} people share the name"
    if metric == "name_search_ten":
        result.extra["holders"] = actor.ten_holders
        result.note = f"{actor.ten_holders:,} people share the name"


def measure(
    size: int,
    actors: list[Actor],
    *,
    reps: int,
    rounds: int,
    budget_s: float,
    scan_cap: int,
    plans: Path,
) -> dict[str, dict[str, Result]]:
    results: dict[str, dict[str, Result]] = {metric: {} for metric in METRICS}
    calls = {
        (metric, actor.label): call for actor in actors for metric, call in _calls(actor).items()
    }
    timed_results = timed_rounds(calls, reps=reps, budget_s=budget_s, rounds=rounds)
    by_label = {actor.label: actor for actor in actors}
    for (metric, label), result in timed_results.items():
        actor = by_label[label]
        _annotate(metric, actor, result)
        results[metric][label] = result
        slug = label.replace(" ", "-")
        title = f"{METRICS[metric]}, {label}, {size:,} people"
        save_plans(
            partial(calls[metric, label], 0), plans / str(size) / f"{metric}-{slug}.txt", title
        )
        _progress(size, metric, label, result)
    for actor in actors:
        slug = actor.label.replace(" ", "-")
        ratio = decrypt_scan_ratio(actor, results["citizen_id_lookup"][actor.label].value, scan_cap)
        results["decrypt_scan_ratio"][actor.label] = ratio
        save_plans(
            partial(_scan, actor, scan_cap, actor.sample[0].citizen_id),
            plans / str(size) / f"decrypt_scan_ratio-{slug}.txt",
            f"decrypt-scan of the visible people (capped at {scan_cap:,}), {actor.label}, "
            f"{size:,} people",
            work_mem=ROOMY_WORK_MEM,
        )
        _progress(size, "decrypt_scan_ratio", actor.label, ratio)
    return results


def _found(actor: Actor) -> list[int]:
    """Return how many people each sample name's search showed (untimed)."""
    return [
        len(selectors.person_search(viewer=actor.user, kind="name", query=s.folded_name))
        for s in actor.sample
    ]


def _progress(size: int, metric: str, actor: str, result: Result) -> None:
    unit = "×" if metric == "decrypt_scan_ratio" else " ms"
    note = f" ({result.note})" if result.note else ""
    print(f"  [{size:,}] {metric}, {actor}: {result.value:,.1f}{unit}{note}", flush=True)


# --- report ----------------------------------------------------------------------------------


def _cell(metric: str, result: Result | None) -> str:
    if result is None:
        return "—"
    if metric == "decrypt_scan_ratio":
        return f"{result.value:,.1f}×" if result.value < 10 else f"{result.value:,.0f}×"
    return f"{result.value:,.1f}" if result.value < 100 else f"{result.value:,.0f}"


def table(sizes: list[int], results: dict[int, dict[str, dict[str, Result]]]) -> str:
    first, last = sizes[0], sizes[-1]
    head = ["median, ms", *(f"{s:,} people" for s in sizes)]
    if len(sizes) > 1:
        head.append(f"growth {last:,}/{first:,}")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    notes = []
    for metric, name in METRICS.items():
        for actor in results[first][metric]:
            cells = [results[s][metric].get(actor) for s in sizes]
            row = [f"{name}, {actor}", *(_cell(metric, c) for c in cells)]
            a, b = cells[0], cells[-1]
            if len(sizes) > 1 and a is not None and b is not None:
                row.append(f"{b.value / a.value:.2f}×")
            lines.append("| " + " | ".join(row) + " |")
            for size, cell in zip(sizes, cells, strict=True):
                if cell is not None and cell.note:
                    notes.append(f"- {name}, {actor}, {size:,}: {cell.note}")
    return "\n".join(lines + ([""] + notes if notes else []))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument(
        "--sizes", default="200000,1000000", help="people, ascending, comma-separated"
    )
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--reps", type=int, default=40, help="timed calls per metric")
    parser.add_argument(
        "--rounds", type=int, default=5, help="passes over all metrics the calls are spread over"
    )
    parser.add_argument("--budget", type=float, default=120, help="seconds per metric, at most")
    parser.add_argument("--scan-cap", type=int, default=20_000, help="rows decrypted per scan")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--plans", type=Path, default=HERE / "plans")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument(
        "--sequencer",
        choices=["process", "commit"],
        default="process",
        help="who chains the audit events: the sequencer process (default, as a national "
        "instance runs) or each commit (HOA_NHAP_AUDIT_SEQUENCER)",
    )
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if not sizes or sizes != sorted(set(sizes)):
        parser.error("--sizes must be ascending and distinct")

    call_command("migrate", verbosity=0)
    world = scale_data.ensure_world(args.seed)
    results: dict[int, dict[str, dict[str, Result]]] = {}
    datasets: dict[int, dict[str, Any]] = {}
    for size in sizes:
        report = scale_data.grow(world, to=size, seed=args.seed, workers=args.workers)
        print(
            f"dataset {report.people:,} people, {report.cases:,} cases: +{report.added_people:,} "
            f"people generated in {report.load_s:.1f} s, VACUUM ANALYZE {report.vacuum_s:.1f} s "
            f"({args.workers} workers)",
            flush=True,
        )
        actors = prepare(world)
        for actor in actors:
            print(
                f"  {actor.label}: sees {actor.visible_people:,} people, "
                f"{actor.visible_cases:,} cases ({actor.pages:,} list pages)",
                flush=True,
            )
        datasets[size] = {
            "cases": report.cases,
            "generate_s": round(report.load_s, 1),
            "vacuum_analyze_s": round(report.vacuum_s, 1),
            **{f"visible_people/{a.label}": a.visible_people for a in actors},
            **{f"visible_cases/{a.label}": a.visible_cases for a in actors},
        }
        load_before = os.getloadavg()[0]
        settings.AUDIT_SEQUENCER = args.sequencer
        sequencer = bench_sequencer.start() if args.sequencer == "process" else None
        try:
            results[size] = measure(
                size,
                actors,
                reps=args.reps,
                rounds=args.rounds,
                budget_s=args.budget,
                scan_cap=args.scan_cap,
                plans=args.plans,
            )
        finally:
            if sequencer is not None:
                bench_sequencer.stop(sequencer)
        datasets[size]["audit_sequencer"] = args.sequencer
        # The machine is shared: the load average says how much else ran during the timings.
        datasets[size]["load_average"] = [round(load_before, 1), round(os.getloadavg()[0], 1)]
        print(f"  load average (1 min) {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
        # Written after each size, so a run stopped at the next size keeps what it measured.
        out = write_results(args, sizes, results, datasets)
    print()
    print(table(sizes, results))
    shown = out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out
    print(f"\nmedians: {shown}")
    sys.stdout.flush()


def write_results(
    args: argparse.Namespace,
    sizes: list[int],
    results: dict[int, dict[str, dict[str, Result]]],
    datasets: dict[int, dict[str, Any]],
) -> Path:
    """Write the medians so far to bench/results/scale-<sizes>.json; return its path."""
    done = [s for s in sizes if s in results]
    medians = {
        metric: {
            actor: {str(s): asdict(results[s][metric][actor]) for s in done}
            for actor in results[done[0]][metric]
        }
        for metric in METRICS
    }
    report = {
        "sizes": sizes,
        "measured": done,
        "seed": args.seed,
        "reps": args.reps,
        "rounds": args.rounds,
        "scan_cap": args.scan_cap,
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "postgresql": getattr(connection, "pg_version", None),
        },
        "datasets": {str(s): d for s, d in datasets.items()},
        "medians_ms": medians,
    }
    args.results.mkdir(parents=True, exist_ok=True)
    out: Path = args.results / f"scale-{'-'.join(str(s) for s in sizes)}.json"
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
