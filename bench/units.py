"""Time ``load_units`` on the national unit lists (issue 30), on PostgreSQL.

Usage: ``HOA_NHAP_DEMO=1 scripts/with-postgres .venv/bin/python -m bench.units`` (migrates the
throwaway database first). Times, each into the state named: the 2025-03 three-tier list
(10,806 units) into an empty database, the same list again (a re-load: nothing changes), the
2025-07 two-tier list (3,355 units) into an empty database and again, and the refusal of the
two-tier list on top of the three-tier tree, and the reorganisation of the three-tier tree
by the official mapping (dry run, then applied; no people in this database). The lists come
from ``HOA_NHAP_UNITS_DATA`` (or ``../shared/data``); without them it times synthetic lists
of the same shape and says so.
Prints seconds and statements per step; the target is < 10 s per load. Asserts nothing.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from cases.reorganise import reorganise  # noqa: E402
from cases.units import ReorganisationRefused, units_load_csv  # noqa: E402

from .unit_lists import unit_lists  # noqa: E402


def _empty() -> None:
    """Remove every unit (their history is append-only and stays; it is not read here)."""
    with connection.cursor() as cursor:
        cursor.execute('DELETE FROM "cases_administrativeunit"')


def _timed(label: str, path: Path) -> float:
    text = path.read_text(encoding="utf-8-sig")
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        plan = units_load_csv(handle=io.StringIO(text), by="bench")
        seconds = time.perf_counter() - started
    print(
        f"{label:<44} {seconds:7.2f} s {len(queries):6d} statements  ({plan.summary()})",
        flush=True,
    )
    return seconds


def main() -> int:
    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory() as scratch:
        lists = unit_lists(Path(scratch))
        print(f"Lists: {lists.origin} ({lists.three_tier.parent})", flush=True)
        _empty()
        times = [
            _timed("2025-03 three-tier, empty database", lists.three_tier),
            _timed("2025-03 three-tier, re-load", lists.three_tier),
        ]
        started = time.perf_counter()
        try:
            units_load_csv(handle=io.StringIO(lists.two_tier.read_text("utf-8-sig")), by="bench")
            print("2025-07 onto 2025-03: NOT refused", flush=True)
        except ReorganisationRefused as refused:
            seconds = time.perf_counter() - started
            print(f"{'2025-07 onto 2025-03: refused':<44} {seconds:7.2f} s", flush=True)
            print("  " + refused.messages[0][:200], flush=True)
        for dry_run in (True, False):
            with (
                lists.mapping.open(encoding="utf-8-sig", newline="") as mapping,
                lists.two_tier.open(encoding="utf-8-sig", newline="") as new_list,
            ):
                started = time.perf_counter()
                report = reorganise(mapping=mapping, units=new_list, by="bench", dry_run=dry_run)
                seconds = time.perf_counter() - started
            label = "reorganise 2025-03 → 2025-07" + (", dry run" if dry_run else "")
            print(
                f"{label:<44} {seconds:7.2f} s  ({report.created} created, {report.reused} "
                f"kept their code, {report.retired} retired; no people)",
                flush=True,
            )
        _empty()
        times += [
            _timed("2025-07 two-tier, empty database", lists.two_tier),
            _timed("2025-07 two-tier, re-load", lists.two_tier),
        ]
    print(f"Slowest load: {max(times):.2f} s (target < 10 s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
