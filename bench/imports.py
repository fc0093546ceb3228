"""Measure a register import and export at scale (issue 27): time and peak memory.

Usage: ``make bench-imports [IMPORT_ROWS=100000]`` or ``HOA_NHAP_DEMO=1 scripts/with-postgres
.venv/bin/python -m bench.imports --rows 100000``; the monthly dosing registers of 100 clinics:
``make bench-imports IMPORT_ARGS="--doses 1000000"`` (``--doses N``, below).

On a throwaway PostgreSQL: migrate, make one province with a district of 20 communes, a
methadone clinic and its caseworker (the importer and exporter), then write a register file
of ``--rows`` rows as the offices send it: people-and-cases rows (one case each, valid
citizen IDs, real-shaped Vietnamese names with diacritics, dates as dd/mm/yyyy text), and
with ``--records`` (the default) a delivered counselling service for every fourth case (the
rest of the rows). The file is written with openpyxl's write-only workbook (streamed), in a
child process, so this process's peak is the import's and the export's alone. Then:

1. the import (``registers.actions.register_import``, a real run: every row checked, then
   written in one transaction through the actions, with history and events);
2. the export of the clinic's register (``registers.export.register_export``), XLSX and CSV.

Each phase prints its wall time, rows a second and peak memory: the Python heap's peak
(``tracemalloc``, on unless ``--no-tracemalloc``, which slows Python down) and the
process's peak resident size (``resource.getrusage``; it only grows, so it bounds the
phases so far), and on Linux each phase's own peak (the kernel's peak reset through
``/proc/self/clear_refs`` as the phase starts) and its growth over the size at its start.
Results go to ``bench/results/imports-<rows>.json``. Nothing here asserts a time.

``--doses N``: instead, 100 methadone clinics of the district, each with a doctor who doses
and prescribes, each import their own month's register (a clinic's staff dose only their
clinic's patients: ``services.methadone.selectors.clinic_episodes``), N doses in all: per
clinic N/3,000 patients, each with a case, a methadone episode, a 20 mg order and a dosing
row of 30 days (about one "K" in thirty). Files are written and imported one after another
in one process; the time is the whole run's, the memory the process's peak (and the heap's
with tracemalloc). Results in ``bench/results/imports-doses-<N>.json``.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import multiprocessing
import os
import platform
import random
import resource
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from accounts.models import User  # noqa: E402
from cases.choices import Role, UnitLevel  # noqa: E402
from cases.citizen_id import century_sex_digit  # noqa: E402
from cases.models import (  # noqa: E402
    AdministrativeUnit,
    Organisation,
    OrganisationType,
    StaffProfile,
)
from cases.roles import staff_profile_save  # noqa: E402
from registers import format as fmt  # noqa: E402
from registers.actions import register_import  # noqa: E402
from registers.export import register_export  # noqa: E402
from registers.export_scope import Scope  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thu", "Ngọc", "Quốc", "Thanh", "Xuân"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hạnh", "Hùng", "Lan", "Long", "Mai", "Nam"]
GIVEN += ["Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tú", "Uyên", "Vinh", "Yến"]
ORG_NAME = "Cơ sở Methadone Đo Lường"
PROVINCE_CODES = ["001", "024", "031", "079", "092"]


def world() -> User:
    """Create the province, communes, clinic and its caseworker; return the caseworker."""
    province = AdministrativeUnit.objects.create(
        code="97", name="Tỉnh Đo Lường", level=UnitLevel.PROVINCE
    )
    district = AdministrativeUnit.objects.create(
        code="971", name="Huyện Đo Lường", level=UnitLevel.DISTRICT, parent=province
    )
    for n in range(1, 21):
        AdministrativeUnit.objects.create(
            code=f"971{n:02d}", name=f"Xã Đo {n}", level=UnitLevel.COMMUNE, parent=district
        )
    clinic = Organisation.objects.create(
        name=ORG_NAME, type=OrganisationType.objects.get(code="methadone-clinic"), unit=district
    )
    user = User.objects.create_user("bench_importer", password=None)
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=user, organisation=clinic, role=Role.CASEWORKER, scope_unit=district
        ),
    )
    return user


class _CsvBook:
    """A ZIP of one CSV per sheet (UTF-8), written as openpyxl's write-only workbook is."""

    def __init__(self) -> None:
        self.sheets: dict[str, io.StringIO] = {}

    def create_sheet(self, title: str) -> Any:
        sheet = fmt.sheet_by_name(title)
        assert sheet is not None  # noqa: S101
        out = self.sheets[sheet.key] = io.StringIO()
        return csv.writer(out)  # .writerow(row): see _appender

    def save(self, path: Path) -> None:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for key, out in self.sheets.items():
                archive.writestr(f"{key}.csv", out.getvalue())


def write_file(
    path: Path, rows: int, *, records: bool, seed: int = 27, as_csv: bool = False
) -> dict[str, int]:
    """Write a register workbook (or a ZIP of CSVs) of ``rows`` rows in all; return the
    rows by sheet."""
    rng = random.Random(seed)
    services = rows // 5 if records else 0  # a service for one case in four
    people = rows - services
    book: Any = _CsvBook() if as_csv else Workbook(write_only=True)
    sheet = _appender(book.create_sheet(fmt.PEOPLE_CASES.vi))
    columns = [
        "ma_nguoi", "ma_ho_so", "ho_ten", "so_cccd", "gioi_tinh", "nam_sinh", "ngay_sinh",
        "dien_thoai", "dia_chi", "xa_cu_tru", "doi_tuong", "trang_thai", "ngay_mo",
        "co_quan_quan_ly", "can_bo_phu_trach",
    ]  # fmt: skip
    sheet.append([fmt.PEOPLE_CASES.column(key).vi for key in columns])
    organisation = f"971{fmt.ORGANISATION_SEPARATOR}{ORG_NAME}"
    for n in range(1, people + 1):
        female = rng.random() < 0.2
        year = rng.randint(1960, 2005)
        born = datetime.date(year, rng.randint(1, 12), rng.randint(1, 28))
        cccd = (
            rng.choice(PROVINCE_CODES)
            + str(century_sex_digit(birth_year=year, female=female))
            + f"{year % 100:02d}{n:06d}"
        )
        middle = "Thị" if female else rng.choice(MIDDLE)
        name = f"{rng.choice(SURNAMES)} {middle} {rng.choice(GIVEN)}"
        opened = datetime.date(2025, 1, 1) + datetime.timedelta(days=rng.randint(0, 600))
        sheet.append(
            [
                str(n), str(n), name, cccd, "Nữ" if female else "Nam", year,
                born.strftime("%d/%m/%Y"), f"09{n:08d}", f"Thôn {n % 50}, xã Đo",
                f"971{rng.randint(1, 20):02d}", "addiction", "open",
                opened.strftime("%d/%m/%Y"), organisation, "bench_importer",
            ]
        )  # fmt: skip
    tab = _appender(book.create_sheet(fmt.SERVICES.vi))
    keys = ("ma_ho_so", "loai_dich_vu", "trang_thai", "ngay_cung_cap")
    tab.append([fmt.SERVICES.column(k).vi for k in keys])
    for n in range(services):
        tab.append([str(1 + (n * 4) % people), "counselling", "delivered", "01/11/2026"])
    book.save(path)
    return {fmt.PEOPLE_CASES.key: people, fmt.SERVICES.key: services}


def _appender(sheet: Any) -> Any:
    """A sheet with ``append(row)``: openpyxl's own, or a CSV writer's ``writerow``."""
    if hasattr(sheet, "append"):
        return sheet

    class Rows:
        append = staticmethod(sheet.writerow)

    return Rows()


CLINICS = 100  # the dosing benchmark's clinics, each importing its own month
DOSE_MONTH = datetime.date(2026, 11, 1)  # a month wholly past on the day the file is sent
DOSE_DAYS = 30  # its days


def clinics(count: int) -> list[User]:
    """Create ``count`` methadone clinics in the district, each with a doctor who doses and
    prescribes (the importer of its own register); return the doctors."""
    district = AdministrativeUnit.objects.get(code="971")
    kind = OrganisationType.objects.get(code="methadone-clinic")
    doctors = []
    for n in range(1, count + 1):
        clinic = Organisation.objects.create(name=f"{ORG_NAME} {n:03d}", type=kind, unit=district)
        user = User.objects.create_user(f"bench_clinic_{n:03d}", password=None)
        staff_profile_save(
            actor=None,
            profile=StaffProfile(
                user=user,
                organisation=clinic,
                role=Role.CASEWORKER,
                scope_unit=district,
                may_prescribe=True,
            ),
        )
        doctors.append(user)
    return doctors


def write_dosing_file(
    path: Path, clinic: int, patients: int, *, first: int, seed: int = 27
) -> dict[str, int]:
    """Write one clinic's register of a month: ``patients`` people with a case, a methadone
    episode from the month's first day, a 20 mg induction order and the month's dosing row
    (20 mg a day, about one day in thirty "K", never two running); return rows by sheet."""
    rng = random.Random(seed + clinic)
    book = Workbook(write_only=True)
    organisation = f"971{fmt.ORGANISATION_SEPARATOR}{ORG_NAME} {clinic:03d}"
    staff = f"bench_clinic_{clinic:03d}"
    people = book.create_sheet(fmt.PEOPLE_CASES.vi)
    columns = [
        "ma_nguoi", "ma_ho_so", "ho_ten", "so_cccd", "gioi_tinh", "nam_sinh", "xa_cu_tru",
        "doi_tuong", "trang_thai", "ngay_mo", "co_quan_quan_ly", "can_bo_phu_trach",
    ]  # fmt: skip
    people.append([fmt.PEOPLE_CASES.column(key).vi for key in columns])
    opened = DOSE_MONTH.strftime("%d/%m/%Y")
    for n in range(first, first + patients):
        female = rng.random() < 0.1
        year = rng.randint(1965, 2000)
        cccd = (
            rng.choice(PROVINCE_CODES)
            + str(century_sex_digit(birth_year=year, female=female))
            + f"{year % 100:02d}{n:06d}"
        )
        middle = "Thị" if female else rng.choice(MIDDLE)
        people.append(
            [
                str(n), str(n), f"{rng.choice(SURNAMES)} {middle} {rng.choice(GIVEN)}", cccd,
                "Nữ" if female else "Nam", year, f"971{rng.randint(1, 20):02d}", "addiction",
                "open", opened, organisation, staff,
            ]
        )  # fmt: skip
    episodes = book.create_sheet(fmt.EPISODES.vi)
    keys: tuple[str, ...] = ("ma_dot", "ma_ho_so", "hinh_thuc", "co_so", "ngay_bat_dau", "ket_qua")
    episodes.append([fmt.EPISODES.column(k).vi for k in keys])
    for n in range(first, first + patients):
        episodes.append([str(n), str(n), "methadone", organisation, opened, "ongoing"])
    orders = book.create_sheet(fmt.PRESCRIPTIONS.vi)
    keys = ("ma_dot", "ngay_hieu_luc", "lieu_mg", "giai_doan")
    orders.append([fmt.PRESCRIPTIONS.column(k).vi for k in keys])
    for n in range(first, first + patients):
        orders.append([str(n), opened, "20", "induction"])
    dosing = book.create_sheet(fmt.DOSES.vi)
    day_keys = [f"ngay_{day}" for day in range(1, DOSE_DAYS + 1)]
    dosing.append([fmt.DOSES.column(k).vi for k in ("ma_dot", "thang", *day_keys)])
    month = DOSE_MONTH.strftime("%m/%Y")
    for n in range(first, first + patients):
        cells: list[Any] = []
        for _day in range(DOSE_DAYS):
            missed = rng.random() < 1 / 30 and (not cells or cells[-1] != "K")
            cells.append("K" if missed else 20)
        dosing.append([str(n), month, *cells])
    book.save(path)
    return {
        fmt.PEOPLE_CASES.key: patients,
        fmt.EPISODES.key: patients,
        fmt.PRESCRIPTIONS.key: patients,
        fmt.DOSES.key: patients,
        "doses": patients * DOSE_DAYS,
    }


def run_doses(options: argparse.Namespace, report: dict[str, Any]) -> Path:
    """Import the monthly registers of ``CLINICS`` clinics, ``--doses`` doses in all."""
    doctors = clinics(CLINICS)
    per_clinic = max(1, round(options.dose_count / DOSE_DAYS / CLINICS))
    report["clinics"] = CLINICS
    report["patients_per_clinic"] = per_clinic
    trace = options.tracemalloc
    if trace:
        tracemalloc.start()
    rows = written = 0
    start = time.perf_counter()
    slowest = importing = 0.0
    with tempfile.TemporaryDirectory() as folder:
        for number, doctor in enumerate(doctors, start=1):
            path = Path(folder) / f"so-cap-thuoc-{number:03d}.xlsx"
            made = write_dosing_file(path, number, per_clinic, first=1 + (number - 1) * per_clinic)
            began = time.perf_counter()
            outcome = register_import(actor=doctor, path=path, dry_run=False)
            took = time.perf_counter() - began
            slowest = max(slowest, took)
            importing += took
            if outcome.problems:
                first = outcome.problems[:5]
                raise SystemExit(f"clinic {number}: {len(outcome.problems)} problems: {first}")
            rows += outcome.total
            written += made["doses"]
            path.unlink()
            if number % 10 == 0 or number == len(doctors):
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(
                    f"  {number:3d} clinics  {time.perf_counter() - start:8.1f} s  "
                    f"last {took:5.1f} s  process peak {rss:.0f} MB",
                    flush=True,
                )
            del made
    seconds = time.perf_counter() - start
    heap = tracemalloc.get_traced_memory()[1] if trace else None
    if trace:
        tracemalloc.stop()
    doses = written  # every cell of a committed import is a dose written
    report["phases"].append(
        {
            "phase": "import the dosing registers (check + write)",
            "seconds": round(importing, 2),
            "seconds_with_writing_the_files": round(seconds, 2),
            "doses": doses,
            "rows": rows,
            "doses_per_s": round(doses / importing),
            "slowest_clinic_s": round(slowest, 2),
            "heap_peak_mb": round(heap / 2**20, 1) if heap is not None else None,
            "rss_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    )
    print(json.dumps(report["phases"][-1], ensure_ascii=False), flush=True)
    return RESULTS / f"imports-doses-{options.dose_count}.json"


def _status_mb(field: str) -> float | None:
    """Return a size from /proc/self/status (Linux) in MB, or None elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def _peak_reset() -> bool:
    """Reset the kernel's peak resident size of this process (VmHWM), Linux only."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def measure(label: str, work: Callable[[], Any], *, trace: bool) -> dict[str, Any]:
    """Run ``work`` once; return its time and peak memory.

    Besides the process's peak so far (``rss_peak_mb``, which only grows), the phase's own
    peak: the kernel's peak resident size reset at the phase's start (``phase_peak_mb``)
    and its growth over the resident size then (``phase_growth_mb``).
    """
    reset = _peak_reset()
    rss_start = _status_mb("VmRSS")
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    heap = tracemalloc.get_traced_memory()[1] if trace else None
    if trace:
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
    phase_peak = _status_mb("VmHWM") if reset else None
    found = {
        "phase": label,
        "seconds": round(seconds, 2),
        "heap_peak_mb": round(heap / 2**20, 1) if heap is not None else None,
        "rss_peak_mb": round(rss / 2**20, 1),
        "rss_start_mb": rss_start,
        "phase_peak_mb": phase_peak,
        "phase_growth_mb": (
            round(phase_peak - rss_start, 1)
            if phase_peak is not None and rss_start is not None
            else None
        ),
    }
    print(
        f"{label:<28} {seconds:9.1f} s   heap peak {found['heap_peak_mb']} MB   "
        f"process peak {found['rss_peak_mb']} MB   phase: {rss_start} → {phase_peak} MB",
        flush=True,
    )
    return found | {"result": result}


def _in_child(source: Path, rows: int, records: bool, as_csv: bool) -> dict[str, int]:
    """Write the register file in a forked child process; return its rows by sheet."""
    context = multiprocessing.get_context("fork")
    options = {"records": records, "as_csv": as_csv}
    with context.Pool(1) as pool:
        made: dict[str, int] = pool.apply(write_file, (source, rows), options)
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--records", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--tracemalloc", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--csv", action="store_true", help="send the register as a ZIP of CSVs, not an XLSX"
    )
    parser.add_argument(
        "--doses",
        dest="dose_count",
        type=int,
        default=0,
        help=f"instead: {CLINICS} clinics each import their monthly dosing register, "
        "this many doses in all",
    )
    options = parser.parse_args()
    call_command("migrate", verbosity=0)
    user = world()
    trace = options.tracemalloc
    report: dict[str, Any] = {
        "rows": options.rows,
        "machine": f"{platform.node()} {os.cpu_count()} cores",
        "load": os.getloadavg(),
        "at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "phases": [],
    }
    if options.dose_count:
        del report["rows"]
        report["doses_asked"] = options.dose_count
        out_path = run_doses(options, report)
        RESULTS.mkdir(exist_ok=True)
        out_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        print(f"saved {out_path}")
        return
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / ("register.zip" if options.csv else "register.xlsx")
        # Written in a child process: openpyxl's writer would set this process's peak
        # before the import starts, hiding what the import itself needs.
        made = measure(
            "write the file",
            lambda: _in_child(source, options.rows, options.records, options.csv),
            trace=False,
        )
        report["sheets"] = made.pop("result")
        report["format"] = "csv" if options.csv else "xlsx"
        report["rss_before_import_mb"] = made["rss_peak_mb"]
        report["file_mb"] = round(source.stat().st_size / 2**20, 1)
        report["phases"].append(made)
        print(f"file: {report['sheets']}, {report['file_mb']} MB", flush=True)

        def run_import() -> dict[str, Any]:
            outcome = register_import(actor=user, path=source, dry_run=False)
            if outcome.problems:
                first = outcome.problems[:5]
                raise SystemExit(f"the import found {len(outcome.problems)} problems: {first}")
            return dict(outcome.rows)

        done = measure("import (check + write)", run_import, trace=trace)
        done["rows_per_s"] = round(options.rows / done["seconds"])
        report["phases"].append({k: v for k, v in done.items() if k != "result"})
        for out_format in ("csv", "xlsx"):
            target = Path(folder) / f"export.{out_format}"

            def run_export(out_format: str = out_format, target: Path = target) -> int:
                with target.open("wb") as out:
                    summary = register_export(
                        actor=user,
                        scope=Scope("organisation"),
                        out_format=out_format,  # type: ignore[arg-type]
                        out=out,
                    )
                return summary.people

            found = measure(f"export {out_format}", run_export, trace=trace)
            found["people"] = found.pop("result")
            found["file_mb"] = round(target.stat().st_size / 2**20, 1)
            found["rows_per_s"] = round(options.rows / found["seconds"])
            report["phases"].append(found)
    RESULTS.mkdir(exist_ok=True)
    out_path = RESULTS / f"imports-{options.rows}{'-csv' if options.csv else ''}.json"
    out_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"saved {out_path}")


if __name__ == "__main__":
    main()
