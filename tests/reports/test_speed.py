"""Speed rules of the figures (issue 25, bench/figures.py)."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports import export, registry, suppression, tables
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

    registry.register(
        Indicator(
            code="TEST_JIT",
            name="jit",
            group="treatment",
            kind="count",
            compute=compute,
            breakdowns=(),
        )
    )
    try:
        tables.build_table(
            registry.get("TEST_JIT"), world.units["province"], tables.year(2025), None
        )
    finally:
        registry.unregister("TEST_JIT")
    assert seen == ["off"]


def _queries(run: Any) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        run()
    return [query["sql"] for query in captured.captured_queries]


def test_a_report_counts_every_breakdown_of_an_indicator_in_one_query(world: World) -> None:
    """The report's breakdown columns cost no query of their own: one grouped query per
    indicator and period answers them all (GROUPING SETS), where there was one per table."""
    province = world.units["province"]
    periods = export.periods_for("year", year=2025)

    def report(breakdowns: tuple[str, ...]) -> list[str]:
        return _queries(
            lambda: export.report_build(
                viewer=world.users["hoa"],
                unit=province,
                periods=periods,
                breakdowns=breakdowns,
                sharing=False,
            )
        )

    one = report(("sex",))
    four = report(("sex", "age_group", "ethnicity", "category"))
    assert len(four) <= len(one)
    assert sum("GROUPING SETS" in sql for sql in four) >= len(periods)


def test_suppression_takes_the_sibling_breakdowns_already_counted(world: World) -> None:
    """Tables built together carry their siblings: protecting them for a viewer outside the
    scope (minh, a commune officer, looking at the province) counts nobody again."""
    indicator = registry.get("TX_COVERAGE")
    built = tables.build_tables(
        indicator, world.units["province"], tables.year(2025), [None, *indicator.breakdowns]
    )
    shown = [built["sex"]]
    sql = _queries(lambda: suppression.protect(world.users["minh"], shown, sharing=False))
    assert not [s for s in sql if "cases_case" in s or "cases_person" in s]
    assert not shown[0].exact
