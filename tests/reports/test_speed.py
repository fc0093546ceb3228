"""Speed rules of the figures (issue 25, bench/figures.py)."""

from __future__ import annotations

from typing import Any

from django.db import connection

from reports import registry, tables
from reports.registry import Indicator, Query
from tests.conftest import World


def test_indicators_are_computed_without_jit(world: World) -> None:
    """An indicator's grouped query with hashed EXISTS probes is priced above PostgreSQL's
    JIT thresholds at 20,000 people: POSTREHAB_SUPPORT by category spent 1.6 s of its 1.7 s
    compiling (bench/plans/figures/20000). build_table computes with JIT off."""
    seen: list[str] = []

    def compute(query: Query) -> Any:
        with connection.cursor() as cursor:
            cursor.execute("SHOW jit")
            seen.append(cursor.fetchone()[0])
        return {}

    registry.register(Indicator(code="TEST_JIT", name="jit", group="treatment", kind="count",
                                compute=compute, breakdowns=()))  # fmt: skip
    try:
        tables.build_table(registry.get("TEST_JIT"), world.units["province"], tables.year(2025),
                           None)  # fmt: skip
    finally:
        registry.unregister("TEST_JIT")
    assert seen == ["off"]
