"""Measure citizen-ID lookup through the blind index and the 50-row case list on PostgreSQL.

Usage: ``make bench`` or ``HOA_NHAP_DEMO=1 DATABASE_URL=postgres://… python -m bench [people]``.
Reports medians of repeated runs, with the dataset size; nothing here asserts a time.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections.abc import Callable

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.core.management import call_command  # noqa: E402

from cases import selectors  # noqa: E402

from .data import build  # noqa: E402


def _median_ms(run: Callable[[], object], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def main() -> None:
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    user, numbers = build(people)
    print(
        f"dataset: {people} people, {people} cases ({time.perf_counter() - start:.1f} s to build)"
    )
    rng = random.Random(2)
    lookup = _median_ms(
        lambda: selectors.person_search(viewer=user, kind="citizen_id", query=rng.choice(numbers)),
        repeat=200,
    )
    case_list = _median_ms(lambda: list(selectors.case_list_for(viewer=user)[:50]), repeat=50)
    print(f"citizen-ID lookup (blind index, visible to a caseworker): median {lookup:.2f} ms")
    print(f"50-row case list for a caseworker: median {case_list:.2f} ms")


if __name__ == "__main__":
    main()
