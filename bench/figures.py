"""Time the coverage figures of issue 25 at two (or more) dataset sizes in one run.

Usage: ``make bench-figures [FIGURES_SIZES=200000,1000000]`` or ``HOA_NHAP_DEMO=1
DATABASE_URL=postgres://… python -m bench.figures --sizes 200000,1000000``. For each size the
scale generator (bench.scale_data with bench.scale_records: episodes, screenings, services,
victims, doses, referrals over 3 years) grows the dataset, then each metric is timed in rounds
(as bench.scale): single indicators for the province-year, the whole dashboard for the
province-half-year (the function and the page), a commune drill-down, and the XLSX report for
the province-year, for the province supervisor (exact) and for a viewer outside the province's
scope (suppressed). Prints a table of medians with the growth factor between the first and the
last size, writes bench/results/figures-<sizes>.json and .log and the query plans to
bench/plans/figures/<size>/. Nothing here asserts a time.

The figures roll-up (decision D37, ``reports.rollup``): unless ``--no-rollup``, each size
first times a full build of the roll-up (one call: every commune, every standard period of
the roll-up's years), then measures the metrics above (served from the roll-up), then
``--writes`` writes in random communes and times the province-year TX_COVERAGE with those
communes stale (roll-up plus a live count of the stale ones) and the incremental refresh
that follows. ``--no-rollup`` counts every figure live (a roll-up built earlier in the
database is not read).

``--databases 200000=figures_200k,1000000=figures_1m`` measures each size on its own
already-generated database (same server as ``DATABASE_URL``, another database name) instead
of growing one dataset: the generator only tops a database up to its size if it has fewer.
"""

from __future__ import annotations

import argparse
import datetime
import fnmatch
import json
import os
import platform
import random
import statistics
import subprocess  # nosec B404: runs `uptime`, a fixed command
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models import F  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from cases.models import AdministrativeUnit, Case  # noqa: E402
from reports import dashboard, export, registry, rollup, tables  # noqa: E402
from reports.registry import Period  # noqa: E402

from . import scale_data, scale_records  # noqa: E402
from .scale import Result, save_plans, signed_in_client, timed_rounds  # noqa: E402

HERE = Path(__file__).resolve().parent
SUPERVISOR = "province supervisor"
# Outside the province's scope: the commune officer (scope: one commune) sees the province's
# figures suppressed, which is what the suppressed report measures.
OUTSIDER = "commune officer"
# (metric, what is timed); the single indicators are (code, breakdown) below.
INDICATORS = {
    "ind_tx_coverage": ("TX_COVERAGE", None),
    "ind_mmt_adherence": ("MMT_ADHERENCE", None),
    "ind_postrehab_support_category": ("POSTREHAB_SUPPORT", "category"),
    "ind_screen_coverage_sex": ("SCREEN_COVERAGE", "sex"),
}
METRICS = {
    "ind_tx_coverage": "TX_COVERAGE, province-year",
    "ind_mmt_adherence": "MMT_ADHERENCE, province-year",
    "ind_postrehab_support_category": "POSTREHAB_SUPPORT by category, province-year",
    "ind_screen_coverage_sex": "SCREEN_COVERAGE by sex, province-year",
    "dashboard": "dashboard, province-half-year (function)",
    "dashboard_page": "dashboard page, province-half-year (HTTP)",
    "drilldown": "commune drill-down, half-year, by sex",
    "report_exact": "XLSX report, province-year, supervisor (exact)",
    "report_suppressed": "XLSX report, province-year, outside scope (suppressed)",
    "rollup_build": "roll-up: full build (one call)",
    "ind_tx_coverage_stale": "TX_COVERAGE, province-year, after the writes (communes stale)",
    "rollup_refresh": "roll-up: refresh after the writes",
}
# Measured around the others, not by timed_rounds.
ROLLUP_METRICS = ("rollup_build", "ind_tx_coverage_stale", "rollup_refresh")
PLAN_TABLES = ('"cases_', '"services_', '"methadone_', '"referrals_')
LOG: list[str] = []


def say(line: str = "") -> None:
    print(line, flush=True)
    LOG.append(line)


def uptime() -> str:
    env = os.environ | {"TZ": "UTC"}  # Django sets the app's zone for the process
    done = subprocess.run(  # noqa: S603  # nosec B603: a fixed command
        ["/usr/bin/uptime"], capture_output=True, text=True, check=False, env=env
    )
    return done.stdout.strip()


@dataclass(frozen=True)
class Setup:
    province: AdministrativeUnit
    commune: AdministrativeUnit
    year: Period
    half: Period
    half_numbers: tuple[int, int]
    periods: list[export.LabelledPeriod]
    breakdowns: tuple[str, ...]
    supervisor: Any
    outsider: Any


def setup(
    world: scale_data.World, year: int, half: tuple[int, int], breakdowns: tuple[str, ...]
) -> Setup:
    users = get_user_model().objects.select_related("staff__scope_unit")
    province = AdministrativeUnit.objects.get(pk=world.province_id)
    # The first commune of the Zipf-like residence draw: the most populous.
    commune = AdministrativeUnit.objects.get(pk=world.commune_ids[0])
    return Setup(
        province=province,
        commune=commune,
        year=tables.year(year),
        half=tables.half_year(*half),
        half_numbers=half,
        periods=export.periods_for("year", year=year),
        breakdowns=breakdowns,
        supervisor=users.get(pk=world.actors[SUPERVISOR]),
        outsider=users.get(pk=world.actors[OUTSIDER]),
    )


def calls(s: Setup, notes: dict[str, str]) -> dict[str, Callable[[int], object]]:
    """Each metric as a call; each checks what it got, so a broken call does not time well.
    The outsider's first report says in ``notes`` how much suppression hid."""
    client = signed_in_client(s.supervisor)
    page = reverse("reports:dashboard")
    params = {
        "unit": s.province.code,
        "period": "half",
        "year": str(s.half_numbers[0]),
        "half": str(s.half_numbers[1]),
    }

    def indicator(code: str, breakdown: str | None, _n: int) -> object:
        table = tables.build_table(registry.get(code), s.province, s.year, breakdown)
        assert table.rows, code  # nosec B101: a bench self-check
        return table

    def whole(_n: int) -> object:
        groups = dashboard.dashboard(
            viewer=s.supervisor, unit=s.province, period=s.half, breakdown=None
        )
        assert groups  # nosec B101
        return groups

    def page_get(_n: int) -> object:
        response = client.get(page, params)
        assert response.status_code == 200, response.status_code  # nosec B101
        return response

    def drill(_n: int) -> object:
        groups = dashboard.dashboard(
            viewer=s.supervisor, unit=s.commune, period=s.half, breakdown="sex"
        )
        assert groups  # nosec B101
        return groups

    def report(viewer: Any, _n: int) -> object:
        built = export.report_build(
            viewer=viewer,
            unit=s.province,
            periods=s.periods,
            breakdowns=s.breakdowns,
            sharing=False,
        )
        body = export.to_xlsx(built)
        assert body[:2] == b"PK"  # nosec B101
        if viewer is s.outsider and "outsider_report" not in notes:
            notes["outsider_report"] = suppressed_share(built)
        return body

    out: dict[str, Callable[[int], object]] = {
        metric: partial(indicator, code, breakdown)
        for metric, (code, breakdown) in INDICATORS.items()
    }
    out |= {
        "dashboard": whole,
        "dashboard_page": page_get,
        "drilldown": drill,
        "report_exact": partial(report, s.supervisor),
        "report_suppressed": partial(report, s.outsider),
    }
    return out


def suppressed_share(built: export.Report) -> str:
    """How many of a report's tables came out suppressed."""
    hidden = sum(len(t.suppressed) for t in built.tables)
    shut = sum(not t.exact for t in built.tables)
    return f"{shut} of {len(built.tables)} tables suppressed, {hidden} cells hidden"


def measure(
    size: int,
    s: Setup,
    notes: dict[str, str],
    *,
    reps: int,
    rounds: int,
    budget_s: float,
    plans: Path,
    wanted: list[str],
) -> dict[str, Result]:
    runs = {m: run for m, run in calls(s, notes).items() if m in wanted}
    results = timed_rounds(runs, reps=reps, budget_s=budget_s, rounds=rounds, warmup=2)
    for metric, result in results.items():
        say(
            f"  [{size:,}] {METRICS[metric]}: {result.value:,.1f} ms"
            + (f" ({result.note})" if result.note else "")
        )
        save_plans(
            partial(runs[metric], 0),
            plans / "figures" / str(size) / f"{metric}.txt",
            f"{METRICS[metric]}, {size:,} people",
            tables=PLAN_TABLES,
            what="records",
            limit=6 if metric.startswith("report") or metric == "dashboard" else 4,
        )
    return results


def _ms(run: Callable[[], object]) -> float:
    began = time.perf_counter()
    run()
    return (time.perf_counter() - began) * 1000


def build_rollup(size: int, wanted: list[str]) -> dict[str, Result]:
    """Time one full build of the roll-up (every commune, the data's standard periods)."""
    counts: dict[str, int] = {}

    def run() -> None:
        counts.update(rollup.refresh(full=True))

    value = _ms(run)
    note = f"{counts.get('built', 0)} periods × indicators, {counts.get('cells', 0):,} cells"
    say(f"  [{size:,}] {METRICS['rollup_build']}: {value:,.0f} ms ({note})")
    return {"rollup_build": Result(value, 1, note)} if "rollup_build" in wanted else {}


def after_writes(
    size: int, s: Setup, writes: int, reps: int, seed: int, wanted: list[str]
) -> dict[str, Result]:
    """``reps`` times: ``writes`` writes (one statement each, random cases, so random
    communes), then TX_COVERAGE for the province-year (stale communes counted live), then an
    incremental refresh; the medians of both, and how many communes were stale."""
    picker = random.Random(seed)
    ids = list(Case.objects.values_list("pk", flat=True).order_by("pk")[:200_000])
    stale_ms: list[float] = []
    refresh_ms: list[float] = []
    communes: list[int] = []
    indicator = registry.get("TX_COVERAGE")
    for _n in range(reps):
        for pk in picker.sample(ids, min(writes, len(ids))):
            # A write the triggers see (the same as any edit of the case's row).
            Case.objects.filter(pk=pk).update(managed_record=F("managed_record"))
        communes.append(len([c for c in rollup.stale_communes() if c is not None]))
        stale_ms.append(_ms(lambda: tables.build_table(indicator, s.province, s.year, None)))
        refresh_ms.append(_ms(rollup.refresh))
    note = f"{writes} writes, {statistics.median(communes):.0f} communes stale"
    found = {
        "ind_tx_coverage_stale": Result(statistics.median(stale_ms), reps, note),
        "rollup_refresh": Result(statistics.median(refresh_ms), reps, note),
    }
    for metric, result in found.items():
        say(f"  [{size:,}] {METRICS[metric]}: {result.value:,.1f} ms ({note})")
    return {m: r for m, r in found.items() if m in wanted}


LAG_METRICS = {
    "ind_tx_coverage": "TX_COVERAGE, province-year after writes: counted live",
    "ind_tx_coverage_lag": "TX_COVERAGE, province-year after writes: a lag allowed",
    "dashboard": "dashboard, province-half-year after writes: counted live",
    "dashboard_lag": "dashboard, province-half-year after writes: a lag allowed",
    "report_exact": "XLSX report, province-year after writes: counted live",
    "report_exact_lag": "XLSX report, province-year after writes: a lag allowed",
}


def with_writes(size: int, s: Setup, writes: int, seed: int, reps: int = 3) -> dict[str, Result]:
    """``writes`` writes on random cases (random communes), then TX_COVERAGE, the dashboard
    and the report, each ``reps`` times with the written communes counted live
    (``HOA_NHAP_FIGURES_MAX_LAG`` 0) and with an hour's lag allowed; all rolled back, so the
    databases stay as built. The medians, and how many communes were written."""
    from django.db import transaction
    from django.test.utils import override_settings

    picker = random.Random(seed)
    ids = list(Case.objects.values_list("pk", flat=True).order_by("pk")[:200_000])
    wanted = ("ind_tx_coverage", "dashboard", "report_exact")
    runs = {m: run for m, run in calls(s, {}).items() if m in wanted}
    found: dict[str, Result] = {}
    with transaction.atomic():
        for pk in picker.sample(ids, min(writes, len(ids))):
            Case.objects.filter(pk=pk).update(managed_record=F("managed_record"))
        communes = len([c for c in rollup.stale_communes() if c is not None])
        for metric, run in runs.items():
            for lag, name in ((0, metric), (3600, f"{metric}_lag")):
                with override_settings(FIGURES_MAX_LAG_S=lag):
                    run(0)  # warm
                    value = statistics.median(_ms(partial(run, n)) for n in range(reps))
                label = LAG_METRICS[name]
                note = f"{writes} writes, {communes} communes written"
                METRICS.setdefault(f"{name}_after_writes", label)
                found[f"{name}_after_writes"] = Result(value, reps, note)
                say(f"  [{size:,}] {label}: {value:,.1f} ms ({note})")
        transaction.set_rollback(True)
    return found


def use_database(name: str) -> None:
    """Point the default connection at another database of the same server."""
    connections.close_all()
    connection.settings_dict["NAME"] = name


def _cell(result: Result | None) -> str:
    if result is None:
        return "—"
    return f"{result.value:,.1f}" if result.value < 100 else f"{result.value:,.0f}"


def table(sizes: list[int], results: dict[int, dict[str, Result]]) -> str:
    first, last = sizes[0], sizes[-1]
    head = ["median, ms", *(f"{s:,} people" for s in sizes)]
    if len(sizes) > 1:
        head.append(f"growth {last:,}/{first:,}")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    notes = []
    for metric, name in METRICS.items():
        cells = [results.get(s, {}).get(metric) for s in sizes]
        if not any(cells):
            continue  # not asked for (--metrics)
        row = [name, *(_cell(c) for c in cells)]
        a, b = cells[0], cells[-1]
        if len(sizes) > 1:
            row.append(f"{b.value / a.value:.2f}×" if a and b else "—")
        lines.append("| " + " | ".join(row) + " |")
        for size, cell in zip(sizes, cells, strict=True):
            if cell is not None and cell.note:
                notes.append(f"- {name}, {size:,}: {cell.note}")
    return "\n".join(lines + ([""] + notes if notes else []))


def main(argv: list[str] | None = None) -> None:
    today = timezone.localdate()
    last_half = (today.year, 1) if today.month > 6 else (today.year - 1, 2)
    parser = argparse.ArgumentParser(prog="python -m bench.figures", description=__doc__)
    parser.add_argument("--sizes", default="200000,1000000", help="people, ascending")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--reps", type=int, default=10, help="timed calls per metric")
    parser.add_argument("--rounds", type=int, default=5, help="passes over all metrics")
    parser.add_argument("--budget", type=float, default=120, help="seconds per metric, at most")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--year", type=int, default=today.year - 1, help="the province-year")
    parser.add_argument(
        "--half", default=f"{last_half[0]}-{last_half[1]}", help="the half-year, YEAR-1 or YEAR-2"
    )
    parser.add_argument(
        "--report-breakdowns", default="sex,category", help="the report's breakdown columns"
    )
    parser.add_argument(
        "--metrics", default="*", help="which metrics, shell patterns, comma-separated"
    )
    parser.add_argument("--methadone-share", type=float, default=0.03)
    parser.add_argument(
        "--rollup",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="build the figures roll-up before measuring (--no-rollup: every figure live)",
    )
    parser.add_argument("--writes", type=int, default=100, help="writes before a refresh")
    parser.add_argument(
        "--databases",
        default="",
        help="SIZE=DBNAME,...: measure each size on its own database (same server)",
    )
    parser.add_argument(
        "--interleave",
        action="store_true",
        help="with --databases whose roll-up is built: refresh it, then time the sizes in "
        "turn, round by round, so a change of the machine's load falls on every size",
    )
    parser.add_argument(
        "--lag-writes",
        type=int,
        default=0,
        help="with --interleave: after the rounds, this many writes (rolled back after) and "
        "the figures timed with every written commune counted live, then with a lag allowed",
    )
    parser.add_argument("--plans", type=Path, default=HERE / "plans")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    databases: dict[int, str] = {}
    for pair in (p for p in args.databases.split(",") if p.strip()):
        size_, _sep, name = pair.partition("=")
        if not name:
            parser.error("--databases takes SIZE=DBNAME pairs")
        databases[int(size_.replace("_", ""))] = name.strip()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if databases:
        sizes = sorted(databases)
    if not sizes or sizes != sorted(set(sizes)):
        parser.error("--sizes must be ascending and distinct")
    half_year, half_number = (int(x) for x in args.half.split("-"))
    breakdowns = tuple(b for b in args.report_breakdowns.split(",") if b)
    patterns = [p for p in args.metrics.split(",") if p]
    wanted = [m for m in METRICS if any(fnmatch.fnmatch(m, p) for p in patterns)]
    stem = args.results / f"figures-{'-'.join(str(s) for s in sizes)}"

    say(f"uptime before: {uptime()}")
    if args.interleave:
        if not databases or not args.rollup:
            parser.error("--interleave needs --databases (built) and the roll-up")
        interleaved(args, databases, wanted, (half_year, half_number), breakdowns, stem)
        return
    mix = scale_records.RecordMix(methadone_share=args.methadone_share)
    results: dict[int, dict[str, Result]] = {}
    datasets: dict[int, dict[str, Any]] = {}
    world = None
    for size in sizes:
        if size in databases:
            use_database(databases[size])
            say(f"database {databases[size]} for {size:,} people")
        if world is None or size in databases:
            call_command("migrate", verbosity=0)
            world = scale_data.ensure_world(args.seed)
        load_before = os.getloadavg()[0]
        grown = scale_data.grow(world, to=size, seed=args.seed, workers=args.workers, records=mix)
        per_100k = grown.load_s / grown.added_people * 100_000 if grown.added_people else 0.0
        say(
            f"dataset {grown.people:,} people, {grown.cases:,} cases: +{grown.added_people:,} "
            f"people with 3 years of records in {grown.load_s:.1f} s ({per_100k:.0f} s per "
            f"100k people, {args.workers} workers, load {load_before:.1f}), VACUUM ANALYZE "
            f"{grown.vacuum_s:.1f} s"
        )
        s = setup(world, args.year, (half_year, half_number), breakdowns)
        rows = _record_counts()
        say("  records: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
        datasets[size] = {
            "cases": grown.cases,
            "generate_s": round(grown.load_s, 1),
            "generate_s_per_100k": round(per_100k, 1),
            "vacuum_analyze_s": round(grown.vacuum_s, 1),
            "records": rows,
        }
        notes: dict[str, str] = {}
        before = os.getloadavg()[0]
        say(f"  uptime before measuring: {uptime()}")
        built: dict[str, Result] = {}
        if args.rollup:
            built = build_rollup(size, wanted)
        else:
            registry.set_reader(None)  # live, even where a roll-up was built before
        results[size] = built | measure(
            size,
            s,
            notes,
            reps=args.reps,
            rounds=args.rounds,
            budget_s=args.budget,
            plans=args.plans,
            wanted=[m for m in wanted if m not in ROLLUP_METRICS],
        )
        if args.rollup and args.writes > 0:
            results[size] |= after_writes(size, s, args.writes, 3, args.seed, wanted)
        say(f"  outsider's report: {notes.get('outsider_report', '?')}")
        datasets[size] |= notes
        say(f"  uptime after measuring: {uptime()}")
        datasets[size]["load_average"] = [round(before, 1), round(os.getloadavg()[0], 1)]
        write_results(stem, args, sizes, results, datasets)
    say()
    say(f"$ python -m bench.figures {' '.join(argv if argv is not None else sys.argv[1:])}")
    say(table(sizes, results))
    write_results(stem, args, sizes, results, datasets)
    say(f"\nmedians: {stem}.json")


def interleaved(
    args: argparse.Namespace,
    databases: dict[int, str],
    wanted: list[str],
    half: tuple[int, int],
    breakdowns: tuple[str, ...],
    stem: Path,
) -> None:
    """Time each size on its own, already generated database, in turn, round by round.

    Each database's roll-up is brought up to date first (an incremental refresh, as the
    worker does); the full build and the writes are not timed here (the plain run does).
    Each metric's value is the median of its per-round medians.
    """
    sizes = sorted(databases)
    setups: dict[int, Setup] = {}
    datasets: dict[int, dict[str, Any]] = {}
    for size in sizes:
        use_database(databases[size])
        call_command("migrate", verbosity=0)
        world = scale_data.ensure_world(args.seed)
        people = scale_data.people_count(world)
        if people != size:
            raise SystemExit(f"{databases[size]} holds {people:,} people, not {size:,}")
        refresh_ms = _ms(rollup.refresh)
        setups[size] = setup(world, args.year, half, breakdowns)
        rows = _record_counts()
        say(
            f"database {databases[size]}: {people:,} people; roll-up refreshed in "
            f"{refresh_ms:,.0f} ms"
        )
        say("  records: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
        datasets[size] = {"records": rows, "refresh_before_ms": round(refresh_ms)}
    per_round: dict[int, dict[str, list[float]]] = {size: {} for size in sizes}
    loads: list[float] = []
    for number in range(args.rounds):
        for size in sizes:
            use_database(databases[size])
            loads.append(os.getloadavg()[0])
            say(f"round {number + 1} of {args.rounds}, {size:,} people: {uptime()}")
            found = measure(
                size,
                setups[size],
                {},
                reps=args.reps,
                rounds=1,
                budget_s=args.budget,
                plans=args.plans,
                wanted=[m for m in wanted if m not in ROLLUP_METRICS],
            )
            for metric, result in found.items():
                per_round[size].setdefault(metric, []).append(result.value)
    lagged: dict[int, dict[str, Result]] = {}
    if args.lag_writes:
        for size in sizes:
            use_database(databases[size])
            lagged[size] = with_writes(size, setups[size], args.lag_writes, args.seed)
    results = {
        size: {
            metric: Result(
                statistics.median(values),
                args.reps * len(values),
                f"median of {len(values)} rounds' medians",
            )
            for metric, values in per_round[size].items()
        }
        for size in sizes
    }
    for size in sizes:
        results[size] |= lagged.get(size, {})
        datasets[size]["load_average"] = [round(min(loads), 1), round(max(loads), 1)]
    say()
    say(f"$ python -m bench.figures {' '.join(sys.argv[1:])}")
    say(table(sizes, results))
    write_results(stem, args, sizes, results, datasets)
    say(f"\nmedians: {stem}.json")


def _record_counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for model in scale_records.ORDER:
            table = model._meta.db_table
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
            counts[table] = int(cursor.fetchone()[0])
    return counts


def write_results(
    stem: Path,
    args: argparse.Namespace,
    sizes: list[int],
    results: dict[int, dict[str, Result]],
    datasets: dict[int, dict[str, Any]],
) -> None:
    done = [s for s in sizes if s in results]
    report = {
        "sizes": sizes,
        "measured": done,
        "seed": args.seed,
        "reps": args.reps,
        "rounds": args.rounds,
        "year": args.year,
        "half": args.half,
        "report_breakdowns": args.report_breakdowns,
        "rollup": args.rollup,
        "writes": args.writes,
        "databases": args.databases,
        "written": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "postgresql": getattr(connection, "pg_version", None),
        },
        "datasets": {str(s): d for s, d in datasets.items()},
        "medians_ms": {
            metric: {str(s): asdict(results[s][metric]) for s in done if metric in results[s]}
            for metric in METRICS
        },
    }
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".json").write_text(
        json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    stem.with_suffix(".log").write_text("\n".join(LOG) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
