"""Measure the methadone screens and figures of issue 14 at two (or more) dose-table sizes.

Usage: ``make bench-methadone [METHADONE_SIZES=2000000,20000000]`` or ``HOA_NHAP_DEMO=1
DATABASE_URL=postgres://… python -m bench.methadone --sizes 2000000,20000000``.

The generator is seeded: 100 clinics of one province, each with 500 patients in treatment
(50,000) and 150 whose episode ended in the last 30 months (15,000: retention has something
to count), each patient a person, a case held by the clinic, a methadone episode and a
prescription, written with ``COPY``. Dose rows are then loaded with ``COPY`` day by day,
newest days first, for every episode open that day (88 % observed, 6 % take-home, 3 % "did
not come", 3 % no row), going back as many days as it takes to reach the size; a larger
size adds older days. Then each metric is timed for the caseworker of clinic 1 (a
500-patient clinic): the median of ``--reps`` calls after 3 warm-up calls. Prints a table,
writes ``bench/results/methadone-<sizes>.json`` and ``.log``, and ``EXPLAIN (ANALYZE,
BUFFERS)`` of the slowest reads of each metric to ``bench/plans/methadone/<size>/``.
Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import random
import statistics
import subprocess  # noqa: S404  (uptime, for the log)
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import OuterRef, Subquery  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from cases import access  # noqa: E402
from cases.choices import CaseStatus, ClientCategory, Role, Sex  # noqa: E402
from cases.models import (  # noqa: E402
    AdministrativeUnit,
    Case,
    Organisation,
    OrganisationType,
    Person,
)
from services.methadone import figures  # noqa: E402
from services.methadone.models import Dose, DoseKind, Phase, Prescription  # noqa: E402
from services.models import Modality, Outcome, TreatmentEpisode  # noqa: E402

from . import scale, scale_data  # noqa: E402

HERE = Path(__file__).resolve().parent
CLINICS = 100
OPEN_PER_CLINIC = 500
ENDED_PER_CLINIC = 150
CLINIC_NAME = "Cơ sở điều trị methadone (bench) {n}"
ACTOR = "mbench_clinic_1"
NO_ROW, MISSED, TAKE_HOME = 0.03, 0.06, 0.12  # cumulative shares of a day's outcomes
OUTCOMES = [
    (Outcome.DROPPED_OUT, 55),
    (Outcome.TRANSFERRED, 15),
    (Outcome.COMPLETED, 10),
    (Outcome.RELAPSED, 12),
    (Outcome.DIED, 8),
]
METRICS = {
    "today_screen": "today screen, 500-patient clinic",
    "patient_90_days": "one patient's 90 days (figures)",
    "patient_page": "patient figures page (HTTP)",
    "retention_table": "clinic retention table (24 months)",
    "adherence_distribution": "clinic adherence distribution (30 days)",
    "clinic_page": "clinic figures page (HTTP)",
    "insert_day": "insert a day's doses, 500 patients",
}
READ_TABLES = ('"methadone_dose"', '"services_treatmentepisode"', '"methadone_prescription"')


@dataclass(frozen=True)
class Episode:
    id: str
    start: int  # ordinal
    end: int  # ordinal of the last expected day (yesterday for an open episode)
    dose: str


# --- the data --------------------------------------------------------------------------


def _clinics(world: scale_data.World) -> list[Organisation]:
    kind = OrganisationType.objects.get(code="methadone-clinic")
    districts = list(
        AdministrativeUnit.objects.filter(parent_id=world.province_id, level="district").order_by(
            "code"
        )
    )
    return [
        Organisation.objects.get_or_create(
            name=CLINIC_NAME.format(n=n + 1),
            defaults={"type": kind, "unit": districts[n % len(districts)]},
        )[0]
        for n in range(CLINICS)
    ]


def _actor(clinic: Organisation) -> User:
    found = User.objects.filter(username=ACTOR).first()
    return found or scale_data._staff(User, ACTOR, clinic, Role.CASEWORKER, clinic.unit)


def _patients(
    seed: int, world: scale_data.World, clinic: Organisation, n: int, actor: int, today: Any
) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """Return one clinic's people, cases, episodes and prescriptions (seeded)."""
    rng = random.Random(f"{seed}:clinic:{n}")
    people, cases, episodes, prescriptions = [], [], [], []
    outcomes = [o for o, _w in OUTCOMES]
    weights = [w for _o, w in OUTCOMES]
    for i in range(OPEN_PER_CLINIC + ENDED_PER_CLINIC):
        if i < OPEN_PER_CLINIC:
            back = rng.randint(730, 2920) if rng.random() < 0.85 else rng.randint(0, 729)
            started, ended, outcome = today - datetime.timedelta(days=back), None, Outcome.ONGOING
        else:
            started = today - datetime.timedelta(days=rng.randint(30, 900))
            length = int(rng.expovariate(1 / 240))
            ended = min(started + datetime.timedelta(days=length), today)
            outcome = rng.choices(outcomes, weights)[0]
        person = Person(id=scale_data._uuid(rng))
        person.full_name = f"Bệnh nhân {n + 1}-{i + 1}"  # after the id: bound to it
        person.residence_commune_id = rng.choice(world.commune_ids)
        person.sex, person.birth_year = Sex.MALE, rng.randint(1965, 2000)
        person.registered_by_id = clinic.pk
        case = Case(id=scale_data._uuid(rng))
        case.person_id, case.residence_commune_id = person.id, person.residence_commune_id
        case.category, case.managed_record = ClientCategory.ADDICTION, True
        case.status = CaseStatus.OPEN if ended is None else CaseStatus.CLOSED
        case.opened_on, case.closed_on, case.organisation_id = started, ended, clinic.pk
        episode = TreatmentEpisode(
            id=scale_data._uuid(rng),
            case_id=case.id,
            person_id=person.id,
            modality=Modality.METHADONE,
            provider_id=clinic.pk,
            started_on=started,
            ended_on=ended,
            outcome=outcome,
            recorded_by_id=actor,
        )
        prescription = Prescription(
            id=scale_data._uuid(rng),
            case_id=case.id,
            episode_id=episode.id,
            starts_on=started,
            dose_mg=Decimal(rng.randrange(40, 140, 5)),
            phase=Phase.MAINTENANCE,
            prescriber_id=actor,
            recorded_by_id=actor,
        )
        people.append(person)
        cases.append(case)
        episodes.append(episode)
        prescriptions.append(prescription)
    return people, cases, episodes, prescriptions


def ensure_patients(seed: int, world: scale_data.World, today: Any) -> tuple[Organisation, User]:
    """Create the clinics and their patients unless they exist; return clinic 1 and its actor."""
    clinics = _clinics(world)
    actor = _actor(clinics[0])
    if TreatmentEpisode.objects.filter(provider=clinics[0]).exists():
        return clinics[0], actor
    start = time.perf_counter()
    for n, clinic in enumerate(clinics):
        rows = _patients(seed, world, clinic, n, actor.pk, today)
        with transaction.atomic():
            for model, instances in zip(
                (Person, Case, TreatmentEpisode, Prescription), rows, strict=True
            ):
                scale_data._copy(model, instances)
    with connection.cursor() as cursor:
        for model in (Person, Case, TreatmentEpisode, Prescription):
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")
    log(
        f"patients: {CLINICS * (OPEN_PER_CLINIC + ENDED_PER_CLINIC):,} episodes at {CLINICS} "
        f"clinics in {time.perf_counter() - start:.0f} s"
    )
    return clinics[0], actor


def _episodes(today: datetime.date) -> list[Episode]:
    last = (today - datetime.timedelta(days=1)).toordinal()
    rows = (
        TreatmentEpisode.objects.filter(provider__name__startswith=CLINIC_NAME[:20])
        .order_by("id")
        .values_list("id", "started_on", "ended_on", "prescriptions__dose_mg")
    )
    return [
        Episode(str(pk), start.toordinal(), min(end.toordinal(), last) if end else last, str(mg))
        for pk, start, end, mg in rows
    ]


def _rows_for(days: int, episodes: list[Episode], last: int) -> int:
    first = last - days + 1
    total = sum(max(0, min(e.end, last) - max(e.start, first) + 1) for e in episodes)
    return int(total * (1 - NO_ROW))


def days_for(size: int, episodes: list[Episode], last: int) -> int:
    """Return how many days back the dose history must go to hold about ``size`` rows."""
    low, high = 1, 8000
    while low < high:
        middle = (low + high) // 2
        if _rows_for(middle, episodes, last) < size:
            low = middle + 1
        else:
            high = middle
    return low


def load_doses(seed: int, episodes: list[Episode], *, newest: int, oldest: int, actor: int) -> int:
    """COPY the dose rows of the days ``newest`` down to ``oldest`` (ordinals); return rows."""
    columns = "episode_id, given_on, kind, dose_mg, recorded_by_id, recorded_at"
    now = timezone.now().isoformat()
    written = 0
    start = time.perf_counter()
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None  # noqa: S101
    for chunk_start in range(newest, oldest - 1, -30):
        days = range(chunk_start, max(oldest - 1, chunk_start - 30), -1)
        sql = f"COPY methadone_dose ({columns}) FROM STDIN"
        with transaction.atomic(), raw.cursor() as cursor, cursor.copy(sql) as copy:
            for day in days:
                lines = _day_lines(seed, episodes, day, actor, now)
                written += len(lines)
                copy.write("".join(lines))
        log(
            f"  … doses back to {datetime.date.fromordinal(days[-1])}: {written:,} rows "
            f"({time.perf_counter() - start:.0f} s)"
        )
    return written


def _day_lines(seed: int, episodes: list[Episode], day: int, actor: int, now: str) -> list[str]:
    rng = random.Random(f"{seed}:day:{day}")
    given = datetime.date.fromordinal(day).isoformat()
    lines = []
    for episode in episodes:
        roll = rng.random()
        if not episode.start <= day <= episode.end or roll < NO_ROW:
            continue
        if roll < MISSED:
            lines.append(f"{episode.id}\t{given}\t3\t\\N\t{actor}\t{now}\n")
        else:
            kind = 2 if roll < TAKE_HOME else 1
            lines.append(f"{episode.id}\t{given}\t{kind}\t{episode.dose}\t{actor}\t{now}\n")
    return lines


def vacuum() -> float:
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) methadone_dose")
    return time.perf_counter() - start


# --- the measured calls ------------------------------------------------------------------


def _optional(module: str, name: str) -> Any:
    """Return methadone-core's function when its branch is merged, else None."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def _expected_today(actor: User, clinic: Organisation, day: datetime.date) -> int:
    """The today screen's query as methadone-core writes it (used until it is merged)."""
    rows = access.visible(actor, TreatmentEpisode, "change").filter(
        modality=Modality.METHADONE, provider=clinic, ended_on__isnull=True
    )
    in_force = Prescription.objects.filter(episode=OuterRef("pk"), starts_on__lte=day)
    taken = Dose.objects.filter(episode=OuterRef("pk"), given_on__lte=day, kind__in=(1, 2))
    today = Dose.objects.filter(episode=OuterRef("pk"), given_on=day)
    found = rows.select_related("person").annotate(
        rx_mg=Subquery(in_force.order_by("-starts_on").values("dose_mg")[:1]),
        last_taken=Subquery(taken.order_by("-given_on").values("given_on")[:1]),
        today_kind=Subquery(today.values("kind")[:1]),
    )
    return len(sorted(found, key=lambda e: e.person.full_name))  # decrypts each name


class _Rollback(Exception):
    """Undo the timed insert so the next call inserts the same day again."""


def _insert_day(actor: User, clinic: Organisation, episodes: list[Any], day: Any) -> None:
    bulk = _optional("services.methadone.actions", "doses_record_bulk")
    row_type = _optional("services.methadone.actions", "DoseRow")
    try:
        with transaction.atomic():
            if bulk is not None and row_type is not None:
                # No amount: each patient's prescribed dose (any other is refused, issue 23).
                rows = [row_type(episode_id=e, kind=DoseKind.OBSERVED) for e in episodes]
                bulk(actor=actor, clinic=clinic, day=day, rows=rows)
            else:
                Dose.objects.bulk_create(
                    Dose(
                        episode_id=e,
                        given_on=day,
                        kind=DoseKind.OBSERVED,
                        dose_mg=Decimal(60),
                        recorded_by=actor,
                    )
                    for e in episodes
                )
            raise _Rollback
    except _Rollback:
        pass


@dataclass
class Bench:
    actor: User
    clinic: Organisation
    client: Any
    open_ids: list[uuid.UUID]
    today: datetime.date

    def episode(self, n: int) -> TreatmentEpisode:
        return TreatmentEpisode.objects.get(pk=self.open_ids[n * 7919 % len(self.open_ids)])

    def scoped(self) -> Any:
        visible = access.visible(self.actor, TreatmentEpisode, "view")
        return figures.methadone_episodes(visible, clinic_id=self.clinic.pk)


def calls(bench: Bench) -> tuple[dict[str, Callable[[int], object]], dict[str, str]]:
    today_screen = _optional("services.methadone.selectors", "today_screen")
    notes = {
        "today_screen": "services.methadone.selectors.today_screen (with its audit event)"
        if today_screen
        else "the bench's copy of methadone-core's query (no audit event)",
        "insert_day": "services.methadone.actions.doses_record_bulk (with its audit event)"
        if _optional("services.methadone.actions", "doses_record_bulk")
        else "bulk_create of the day's rows (no audit event)",
    }

    def today(n: int) -> object:
        if today_screen is not None:
            return today_screen(viewer=bench.actor, day=bench.today)
        return _expected_today(bench.actor, bench.clinic, bench.today)

    def patient(n: int) -> object:
        return figures.episode_report(episode=bench.episode(n))

    def patient_page(n: int) -> object:
        url = reverse("methadone:episode_figures", args=[bench.open_ids[n % len(bench.open_ids)]])
        scale._ok(bench.client.get(url))
        return None

    def clinic_page(n: int) -> object:
        scale._ok(bench.client.get(reverse("methadone:clinic_figures")))
        return None

    found = {
        "today_screen": today,
        "patient_90_days": patient,
        "patient_page": patient_page,
        "retention_table": lambda n: figures.retention_table(bench.scoped()),
        "adherence_distribution": lambda n: figures.adherence_distribution(bench.scoped()),
        "clinic_page": clinic_page,
        "insert_day": lambda n: _insert_day(bench.actor, bench.clinic, bench.open_ids, bench.today),
    }
    return found, notes


def save_plans(run: Callable[[], object], path: Path, title: str) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) the slowest reads of doses, episodes and prescriptions."""
    # The figures' raw SQL names its tables unquoted, the ORM quoted: match both.
    tables = READ_TABLES + tuple(table.strip('"') for table in READ_TABLES)
    scale.save_plans(run, path, title, tables=tables, what="doses/episodes/prescriptions")


# --- the run ---------------------------------------------------------------------------------

_LOG: list[str] = []


def log(line: str) -> None:
    print(line, flush=True)
    _LOG.append(line)


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()  # noqa: S603, S607


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.methadone", description=__doc__)
    parser.add_argument("--sizes", default="2000000,20000000", help="dose rows, ascending")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--clinics", type=int, default=100, help="500 patients each")
    parser.add_argument("--budget", type=float, default=60, help="seconds per metric, at most")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--plans", type=Path, default=HERE / "plans" / "methadone")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if not sizes or sizes != sorted(set(sizes)):
        parser.error("--sizes must be ascending and distinct")
    global CLINICS
    CLINICS = args.clinics
    log(f"bench.methadone sizes={sizes} seed={args.seed} reps={args.reps}; {uptime()}")
    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    world = scale_data.ensure_world(args.seed)
    clinic, actor = ensure_patients(args.seed, world, today)
    episodes = _episodes(today)
    last = today.toordinal() - 1
    open_ids = list(
        TreatmentEpisode.objects.filter(provider=clinic, ended_on__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    bench = Bench(actor, clinic, scale.signed_in_client(actor), open_ids, today)
    loaded_days, results, datasets = 0, {}, {}
    for size in sizes:
        days = days_for(size, episodes, last)
        start = time.perf_counter()
        load_doses(
            args.seed, episodes, newest=last - loaded_days, oldest=last - days + 1, actor=actor.pk
        )
        load_s = time.perf_counter() - start
        loaded_days = days
        vacuum_s = vacuum()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), pg_total_relation_size('methadone_dose') FROM methadone_dose"
            )
            rows, table_bytes = cursor.fetchone()
        datasets[size] = {
            "rows": rows,
            "days": days,
            "load_s": round(load_s, 1),
            "vacuum_analyze_s": round(vacuum_s, 1),
            "table_and_indexes_mb": round(table_bytes / 2**20),
        }
        log(
            f"dataset: {rows:,} dose rows over {days} days ({table_bytes / 2**20:,.0f} MB with "
            f"indexes), loaded in {load_s:.0f} s, VACUUM ANALYZE {vacuum_s:.0f} s; {uptime()}"
        )
        results[size] = measure(bench, size, args)
        datasets[size]["uptime_after"] = uptime()
        write_results(args, sizes, results, datasets)
    log("")
    log(table(sizes, results))
    log(f"\nfinished; {uptime()}")
    write_results(args, sizes, results, datasets)


def measure(bench: Bench, size: int, args: argparse.Namespace) -> dict[str, scale.Result]:
    found, notes = calls(bench)
    results = {}
    for metric, call in found.items():
        result = scale.timed(call, reps=args.reps, budget_s=args.budget)
        result.note = "; ".join(filter(None, [notes.get(metric, ""), result.note]))
        results[metric] = result
        title = f"{METRICS[metric]}, {size:,} dose rows"
        save_plans(partial(call, 0), args.plans / str(size) / f"{metric}.txt", title)
        log(f"  [{size:,}] {METRICS[metric]}: {result.value:,.1f} ms ({result.reps} reps)")
    return results


def table(sizes: list[int], results: dict[int, dict[str, scale.Result]]) -> str:
    head = ["median, ms", *(f"{s:,} doses" for s in sizes)]
    first, last = sizes[0], sizes[-1]
    target = 20_000_000
    extrapolate = len(sizes) > 1 and last < target
    if len(sizes) > 1:
        head.append(f"growth {last:,}/{first:,}")
    if extrapolate:
        head.append(f"{target:,}, extrapolated (linear)")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    notes: list[str] = []
    for metric, name in METRICS.items():
        cells = [results[s][metric] for s in sizes]
        row = [name, *(f"{c.value:,.1f}" for c in cells)]
        if len(sizes) > 1:
            row.append(f"{cells[-1].value / cells[0].value:.2f}×")
        if extrapolate:
            # Linear in the rows; a metric that did not grow is carried flat.
            slope = max(cells[-1].value - cells[0].value, 0) / (last - first)
            row.append(f"{cells[-1].value + slope * (target - last):,.1f}")
        lines.append("| " + " | ".join(row) + " |")
        notes.extend(f"- {name}: {c.note}" for c in cells[-1:] if c.note)
    return "\n".join(lines + ([""] + notes if notes else []))


def write_results(
    args: argparse.Namespace,
    sizes: list[int],
    results: dict[int, dict[str, scale.Result]],
    datasets: dict[int, dict[str, Any]],
) -> None:
    name = "methadone-" + "-".join(str(s) for s in sizes)
    report = {
        "sizes": sizes,
        "measured": list(results),
        "seed": args.seed,
        "reps": args.reps,
        "clinics": CLINICS,
        "patients_in_treatment": CLINICS * OPEN_PER_CLINIC,
        "ended_episodes": CLINICS * ENDED_PER_CLINIC,
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "postgresql": getattr(connection, "pg_version", None),
        },
        "datasets": {str(s): d for s, d in datasets.items()},
        "medians_ms": {
            metric: {str(s): asdict(results[s][metric]) for s in results} for metric in METRICS
        },
        "median_of_medians_ms": {
            str(s): statistics.median(r.value for r in results[s].values()) for s in results
        },
    }
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / f"{name}.json").write_text(
        json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (args.results / f"{name}.log").write_text("\n".join(_LOG) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
