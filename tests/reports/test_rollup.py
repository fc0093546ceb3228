"""The figures roll-up (decision D37): the same figures as counting live, never stale.

On the indicator tests' hand-made datasets (their fixtures, reused), every registered
indicator × every breakdown it offers × a few standard periods is read from the roll-up and
compared with the live count: right after a full build, after writes of each kind (new case,
record, doses by bulk insert, a person moving commune, a case closed and re-opened) while
their communes are stale, and again after a refresh.
"""

from __future__ import annotations

import datetime
import re
import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from cases.choices import CaseStatus
from cases.models import Case
from reports import registry, rollup, rollup_triggers, suppression, tables
from reports.models import FigureBuild, FigureCell, FigureStale
from reports.registry import Period, Query
from services.methadone.models import Dose, DoseKind
from services.models import TreatmentEpisode
from tests.conftest import World

from .support import D, Data
from .test_indicator_methadone_and_referrals import clinic, referrals  # noqa: F401
from .test_indicator_postrehab_and_victims import post_rehab, victims  # noqa: F401
from .test_indicator_quality_and_registrations import quality, registrations  # noqa: F401
from .test_indicator_registry import mixed  # noqa: F401
from .test_indicator_treatment import data  # noqa: F401

PERIODS = (
    Period(D(2025, 1, 1), D(2025, 3, 31)),
    Period(D(2025, 1, 1), D(2025, 6, 30)),
    Period(D(2025, 7, 1), D(2025, 12, 31)),
    Period(D(2025, 1, 1), D(2025, 12, 31)),
)
DATASETS = (
    "data",
    "clinic",
    "referrals",
    "post_rehab",
    "victims",
    "quality",
    "registrations",
    "mixed",
)


def _rolled() -> list[registry.Indicator]:
    return [i for i in registry.indicators() if i.kind != "median" and not i.live]


def _compare(query_rows: dict[int, int], *, stale: bool | None = None) -> int:
    """Assert roll-up == live for every indicator, breakdown and period; return the checks."""
    checks = 0
    for indicator in _rolled():
        wanted = [None, *indicator.breakdowns]
        for period in PERIODS:
            query = Query(query_rows, period)
            rolled = rollup.answer(indicator, query, wanted)
            assert rolled is not None, (indicator.code, period)
            live = rollup.live_many(indicator, query, wanted)
            for breakdown in wanted:
                assert dict(rolled[breakdown]) == dict(live[breakdown]), (
                    indicator.code,
                    period,
                    breakdown,
                )
                checks += 1
    if stale is not None:
        assert bool(rollup.stale_communes()) is stale
    return checks


def _writes(world: World) -> None:
    """One write of each kind, in several communes."""
    d = Data(world)
    person = d.person("c2", "F", 1999, "08")
    case = d.case(person, opened=D(2025, 2, 1))  # a new case
    d.service(case, "counselling", D(2025, 2, 3))  # a record
    episode = d.episode(case, D(2025, 2, 5), modality="methadone", provider="clinic_a")
    Dose.objects.bulk_create(  # the bulk dose path's one INSERT
        Dose(
            episode=episode,
            given_on=D(2025, 2, 5) + datetime.timedelta(days=n),
            kind=DoseKind.OBSERVED,
            recorded_by=d.user,
            dose_mg=60,
        )
        for n in range(20)
    )
    cases = Case.objects.order_by("opened_on", "pk")
    mover = cases.filter(residence_commune=world.units["c1"]).first()
    if mover is not None:  # a person moved commune (both communes stale)
        d.move(mover.person, "c4")
    closing = cases.filter(
        residence_commune=world.units["c3"], opened_on__lte=D(2025, 3, 15)
    ).first()
    if closing is not None:  # a case closed, then re-opened
        d.reopen(closing, closed=D(2025, 3, 15))
    other = (
        cases.exclude(pk=case.pk)
        .filter(status=CaseStatus.OPEN, opened_on__lte=D(2025, 5, 20))
        .first()
    )
    if other is not None:  # a case closed
        other.status, other.closed_on = CaseStatus.CLOSED, D(2025, 5, 20)
        other.save()


@pytest.mark.django_db
@pytest.mark.parametrize("dataset", DATASETS)
def test_rollup_equals_live_after_build_writes_and_refresh(
    request: pytest.FixtureRequest, dataset: str, world: World
) -> None:
    found: Data = request.getfixturevalue(dataset)
    rows = found.rows()
    rollup.refresh(full=True, years=[2025])
    assert FigureCell.objects.exists()
    assert FigureBuild.objects.filter(indicator="TX_COVERAGE").count() == 7
    assert not FigureBuild.objects.filter(indicator="REF_MEDIAN_DAYS").exists()
    assert _compare(rows, stale=False) > 0
    _writes(world)
    stale = rollup.stale_communes()
    assert {world.units[c].pk for c in ("c1", "c2", "c3", "c4")} <= stale
    _compare(rows, stale=True)
    counts = rollup.refresh(years=[2025])
    assert counts["communes"] >= 4
    _compare(rows, stale=False)


@pytest.mark.django_db
def test_suppressed_tables_are_the_same_from_the_rollup(
    request: pytest.FixtureRequest, world: World
) -> None:
    request.getfixturevalue("data")
    province = world.units["province"]
    period = PERIODS[1]
    wanted = [None, "sex", "age_group", "ethnicity", "category"]
    indicator = registry.get("TX_COVERAGE")

    def suppressed() -> dict[Any, Any]:
        family = tables.build_tables(indicator, province, period, wanted)
        suppression.protect(world.users["lan"], list(family.values()), sharing=True, k=5)
        return {b: (dict(t.cells), set(t.suppressed)) for b, t in family.items()}

    live = suppressed()
    assert any(hidden for _cells, hidden in live.values())
    rollup.refresh(full=True, years=[2025])
    assert rollup.answer(indicator, Query(tables.child_rows(province)[1], period), wanted)
    assert suppressed() == live


@pytest.mark.django_db
def test_today_dependent_and_median_indicators_stay_live(world: World) -> None:
    rows = {world.units["c1"].pk: world.units["c1"].pk}
    rollup.refresh(full=True, years=[2025])
    ongoing = Period(D(2025, 1, 1), D(2025, 12, 31))
    during = D(2025, 6, 1)
    assert not rollup.rolled_up(registry.get("MMT_ADHERENCE"), ongoing, during)
    assert rollup.rolled_up(registry.get("TX_COVERAGE"), ongoing, during)
    assert rollup.answer(registry.get("REF_MEDIAN_DAYS"), Query(rows, ongoing), [None]) is None
    custom = Period(D(2025, 1, 5), D(2025, 3, 31))
    assert rollup.answer(registry.get("TX_COVERAGE"), Query(rows, custom), [None]) is None


@pytest.mark.django_db
def test_a_catalogue_change_makes_every_figure_live(world: World) -> None:
    from services.models import ServiceType

    rows = {world.units["c1"].pk: world.units["c1"].pk}
    rollup.refresh(full=True, years=[2025])
    query = Query(rows, PERIODS[0])
    assert rollup.answer(registry.get("TX_COVERAGE"), query, [None]) is not None
    ServiceType.objects.filter(code="counselling").update(category="prevention")
    assert None in rollup.stale_communes()
    assert rollup.answer(registry.get("TX_COVERAGE"), query, [None]) is None
    rollup.refresh(years=[2025])
    assert not rollup.stale_communes()
    assert rollup.answer(registry.get("TX_COVERAGE"), query, [None]) is not None


# --- the rule: every table an indicator reads marks its communes stale --------------------------

_TABLE = re.compile(r'(?:FROM|JOIN)\s+"(\w+)"', re.IGNORECASE)


@pytest.mark.django_db
def test_every_table_an_indicator_reads_has_the_staleness_triggers(world: World) -> None:
    """A new indicator, or one that starts reading a new table, cannot be served stale: the
    SQL of every registered indicator's grouped count names only tables with the triggers.
    An indicator marked ``live`` is never read from the roll-up (its own test), so the
    tables only it reads need none (programme, D48)."""
    rows = {world.units[c].pk: world.units["d1"].pk for c in ("c1", "c2")}
    read: dict[str, set[str]] = {}
    for indicator in registry.indicators():
        if indicator.live:
            assert not rollup.rolled_up(indicator, PERIODS[1], D(2030, 1, 1)), indicator.code
            assert rollup.answer(indicator, Query(rows, PERIODS[1]), [None]) is None
            continue
        with CaptureQueriesContext(connection) as captured:
            rollup.live_many(indicator, Query(rows, PERIODS[1]), [None, *indicator.breakdowns])
        for query in captured.captured_queries:
            for table in _TABLE.findall(query["sql"]):
                read.setdefault(table, set()).add(indicator.code)
    read.pop("reports_figurecell", None)
    assert "cases_person" in read and "methadone_dose" in read
    with connection.cursor() as cursor:
        missing = {
            table: codes
            for table, codes in read.items()
            if not rollup_triggers.installed(cursor, table)
        }
    assert missing == {}, f"tables read without staleness triggers: {missing}"
    assert set(read) <= set(rollup_triggers.TABLES)


@pytest.mark.django_db
def test_a_person_moving_marks_both_communes(world: World) -> None:
    d = Data(world)
    person = d.person("c1")
    d.case(person)
    FigureStale.objects.all().delete()
    d.move(person, "c3")
    assert rollup.stale_communes() == {world.units["c1"].pk, world.units["c3"].pk}


# --- concurrency: a write committed during a refresh stays stale --------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_write_committed_during_a_refresh_stays_marked(world: World) -> None:
    """Two connections, no mocks: the refresh reads the markers; meanwhile another
    connection writes a record and commits; the refresh commits; the write's marker stays."""
    d = Data(world)
    case = d.case(d.person("c2"), opened=D(2025, 1, 10))
    rollup.refresh(full=True, years=[2025])
    assert not rollup.stale_communes()
    d.service(case, "counselling", D(2025, 2, 1))
    first = set(FigureStale.objects.values_list("id", flat=True))
    assert first
    written: list[int] = []

    def write_elsewhere() -> None:
        def other() -> None:
            # A thread has its own database connection: a second session.
            try:
                TreatmentEpisode.objects.create(
                    case=case,
                    person=case.person,
                    modality="community_voluntary",
                    provider=world.orgs["commune_x"],
                    started_on=D(2025, 3, 1),
                    outcome="ongoing",
                    recorded_by=d.user,
                )
                written.extend(
                    FigureStale.objects.exclude(id__in=first).values_list("id", flat=True)
                )
            finally:
                connections.close_all()

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()

    counts = rollup.refresh(years=[2025], seen=write_elsewhere)
    assert counts["markers"] == len(first)
    assert written
    left = set(FigureStale.objects.values_list("id", flat=True))
    assert left == set(written)
    assert rollup.stale_communes() == {world.units["c2"].pk}
    # And the reader counts that commune live: the new episode is in the figure.
    indicator = registry.get("TX_COVERAGE")
    query = Query({world.units["c2"].pk: world.units["c2"].pk}, PERIODS[0])
    assert rollup.answer(indicator, query, [None]) == rollup.live_many(indicator, query, [None])
    FigureCell.objects.all().delete()
    FigureBuild.objects.all().delete()


@pytest.mark.django_db
def test_a_commune_list_is_one_array_parameter(world: World) -> None:
    """The communes go to PostgreSQL as one array (``= ANY``), not one parameter each: the
    query's parameters do not grow with the number of communes."""
    from reports.indicators import definitions

    def params(count: int) -> tuple[str, int]:
        rows = {world.units["c1"].pk + n: 1 for n in range(count)}
        query = Query(rows, PERIODS[0])
        cases = definitions.managed(query, "addiction").rows.filter(definitions.treated(query))
        sql, found = cases.query.sql_with_params()
        return sql, len(found)

    few, many = params(3), params(600)
    assert many[1] == few[1]
    assert "= ANY(" in many[0]


@pytest.mark.django_db
def test_an_empty_key_is_not_taken_for_the_total(world: World) -> None:
    """A provider type without a sector gives the key "" under "sector": a column of its
    own, never added into the row's total."""
    from cases.models import OrganisationType

    OrganisationType.objects.create(code="other-provider", name="Khác", sector="")
    d = Data(world)
    person = d.person("c1")
    case = d.case(person, opened=D(2024, 6, 1))
    d.episode(case, D(2025, 2, 1), provider=d.org("Cơ sở khác", "other-provider"))
    rollup.refresh(full=True, years=[2025])
    indicator = registry.get("TX_SECTOR")
    query = Query(d.rows(), PERIODS[0])
    live = rollup.live_many(indicator, query, [None, "sector"])
    assert (None, "") in live["sector"]
    assert rollup.answer(indicator, query, [None, "sector"]) == live


@pytest.mark.django_db
def test_the_command_builds_and_the_task_refreshes(world: World) -> None:
    from io import StringIO

    from django.core.management import call_command

    from reports.rollup import refresh_figures

    d = Data(world)
    d.case(d.person("c1"), opened=D(2025, 1, 10))
    out = StringIO()
    call_command("refresh_figures", "--all", stdout=out)
    assert "cells" in out.getvalue()
    assert FigureBuild.objects.filter(indicator="TX_COVERAGE").exists()
    assert not rollup.stale_communes()
    d.case(d.person("c3"), opened=D(2025, 2, 10))
    assert rollup.stale_communes() == {world.units["c3"].pk}
    result = refresh_figures.enqueue()
    assert result.return_value["markers"] >= 1
    assert not rollup.stale_communes()


@pytest.mark.django_db
def test_a_breakdown_added_to_an_indicator_is_live_until_rebuilt(world: World) -> None:
    import dataclasses

    d = Data(world)
    d.case(d.person("c1"), opened=D(2025, 1, 10))
    before = registry.get("NEW_ADDICTION")
    query = Query(d.rows(), PERIODS[0])
    registry.unregister("NEW_ADDICTION")
    registry.register(dataclasses.replace(before, breakdowns=("sex",)))
    try:
        rollup.refresh(full=True, years=[2025])
        assert rollup.answer(registry.get("NEW_ADDICTION"), query, [None, "sex"]) is not None
    finally:
        registry.unregister("NEW_ADDICTION")
        registry.register(before)
    assert rollup.answer(before, query, [None, "category"]) is None
    rollup.refresh(years=[2025])
    assert rollup.answer(before, query, [None, "category"]) == rollup.live_many(
        before, query, [None, "category"]
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_pair_not_built_yet_is_read_live_and_built_by_the_refresh_it_asks_for(
    world: World,
) -> None:
    """A period that just ended (or a new indicator) has no cells: the reader counts it live
    and queues a refresh (run at once by the tests' immediate task backend), which builds it."""
    d = Data(world)
    d.case(d.person("c1"), opened=D(2025, 1, 10))
    rollup.refresh(full=True, years=[2025])
    indicator = registry.get("TX_COVERAGE")
    FigureBuild.objects.filter(indicator="TX_COVERAGE", period_start=D(2025, 1, 1)).delete()
    rollup._asked[0] = 0.0
    query = Query(d.rows(), PERIODS[0])
    assert rollup.answer(indicator, query, [None]) is None
    assert FigureBuild.objects.filter(indicator="TX_COVERAGE", period_start=D(2025, 1, 1)).exists()
    assert rollup.answer(indicator, query, [None]) == rollup.live_many(indicator, query, [None])
    FigureCell.objects.all().delete()
    FigureBuild.objects.all().delete()


# --- a lag allowed: the cells as they are, and since when they may leave writes out -----------


@pytest.mark.django_db
def test_with_a_lag_allowed_a_recent_write_is_read_from_the_cells_and_said(
    request: pytest.FixtureRequest, world: World, settings: Any
) -> None:
    """D37: ``HOA_NHAP_FIGURES_MAX_LAG`` trades currency for speed, and the pages say so.

    Without a lag the commune written is counted live (exact); with one, its cells are read
    as they are until the marker is older than the lag, and ``watch`` names the write's
    time; a marker older than the lag is counted live again."""
    rows = request.getfixturevalue("data").rows()
    indicator = registry.get("TX_COVERAGE")
    query = Query(rows, PERIODS[3])
    rollup.refresh(full=True, years=[2025])
    before = rollup.answer(indicator, query, [None])
    assert before is not None
    total_before = before[None][(None, None)]
    Data(world).case(Data(world).person("c2"), opened=D(2025, 2, 1))  # one more in the denominator
    marked_at = min(FigureStale.objects.values_list("marked_at", flat=True))

    settings.FIGURES_MAX_LAG_S = 0
    with rollup.watch() as behind:
        exact = rollup.answer(indicator, query, [None])
    assert exact is not None and exact[None] == rollup.live_many(indicator, query, [None])[None]
    assert exact[None][(None, None)].denominator == (total_before.denominator or 0) + 1
    assert behind.since is None

    settings.FIGURES_MAX_LAG_S = 3600
    with rollup.watch() as behind:
        lagging = rollup.answer(indicator, query, [None])
    assert lagging is not None and lagging[None][(None, None)] == total_before
    assert behind.since == marked_at

    FigureStale.objects.update(marked_at=marked_at - datetime.timedelta(hours=2))
    with rollup.watch() as behind:
        late = rollup.answer(indicator, query, [None])
    assert late is not None and late[None] == exact[None]
    assert behind.since is None


@pytest.mark.django_db
def test_the_dashboard_and_the_report_say_up_to_when_the_figures_are_complete(
    request: pytest.FixtureRequest, world: World, settings: Any
) -> None:
    """With a lag allowed and a write not yet refreshed, the dashboard says since when its
    figures may leave writes out, and the report's cover says it too; fresh, neither does."""
    from reports import export

    request.getfixturevalue("data")
    rollup.refresh(full=True, years=[2025])
    settings.FIGURES_MAX_LAG_S = 3600
    client = world.client("hoa")
    url = "/figures/?unit=" + world.units["province"].code + "&period=year&year=2025"
    assert 'data-testid="figures-behind"' not in client.get(url).content.decode()
    Data(world).case(Data(world).person("c2"), opened=D(2025, 2, 1))
    page = client.get(url).content.decode()
    assert 'data-testid="figures-behind"' in page
    report = export.report_build(
        viewer=world.users["hoa"],
        unit=world.units["province"],
        periods=export.periods_for("year", year=2025),
        sharing=False,
    )
    assert report.complete_up_to == min(FigureStale.objects.values_list("marked_at", flat=True))
