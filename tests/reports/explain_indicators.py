"""Print the PostgreSQL plans of every indicator for a province-year at a few thousand rows.

Not a test of the suite (no ``test_`` prefix): run it by hand to see whether each
indicator's SQL is index-driven, e.g.

    make test PYTEST_ARGS="-s tests/reports/explain_indicators.py"
    EXPLAIN_PEOPLE=40000 make test PYTEST_ARGS="-s tests/reports/explain_indicators.py"

It writes two provinces (the test province, and another with nine in ten of the people),
4,000 people (or ``EXPLAIN_PEOPLE``) with cases, episodes, screenings, services, post-rehab
periods, vocational support, referrals and dose rows, runs ANALYZE, computes every indicator
for province 98 and the year 2025 (rows: its districts), and prints each statement's plan,
flagging sequential scans of the big tables (``EXPLAIN_CODES=TX_SECTOR,RELAPSE`` for some
indicators only, ``EXPLAIN_PLANS=1`` to print every plan).
"""

from __future__ import annotations

import datetime
import os
import random
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.choices import UnitLevel
from cases.models import AdministrativeUnit, Case, Organisation, Person
from referrals.models import Referral
from reports import registry
from reports.registry import Period, Query
from services.methadone.models import Dose
from services.models import (
    PostRehabPeriod,
    Screening,
    ServiceRecord,
    ServiceType,
    TreatmentEpisode,
    VocationalSupport,
)
from tests.conftest import World

pytestmark = pytest.mark.django_db
D = datetime.date
OUTCOMES = ("completed", "dropped_out", "transferred")
BIG = (
    "cases_person",
    "cases_case",
    "services_treatmentepisode",
    "services_screening",
    "services_servicerecord",
    "services_postrehabperiod",
    "services_vocationalsupport",
    "referrals_referral",
    "methadone_dose",
)


def _day(rng: random.Random, first: int = 2022) -> datetime.date:
    return D(rng.randint(first, 2025), rng.randint(1, 12), rng.randint(1, 28))


def _grow(world: World, people: int = 4000) -> dict[int, int]:
    people = int(os.environ.get("EXPLAIN_PEOPLE", people))
    rng = random.Random(25)
    other = AdministrativeUnit.objects.create(code="99", name="Tỉnh Khác", level=UnitLevel.PROVINCE)
    communes = [world.units[k] for k in ("c1", "c2", "c3", "c4")]
    for n in range(30):
        parent = world.units["d1" if n % 2 else "d2"]
        communes.append(
            AdministrativeUnit.objects.create(
                code=f"98{n:03d}9", name=f"Xã {n}", level=UnitLevel.COMMUNE, parent=parent
            )
        )
    for n in range(300):  # the other province: nine in ten people live there
        communes.append(
            AdministrativeUnit.objects.create(
                code=f"99{n:03d}", name=f"Xã Khác {n}", level=UnitLevel.COMMUNE, parent=other
            )
        )
    orgs = list(Organisation.objects.all())
    user = world.users["lan"]
    services = list(ServiceType.objects.all())
    persons = [
        Person(
            full_name=f"Người {n}",
            residence_commune=rng.choice(communes),
            sex=rng.choice("MF"),
            birth_year=rng.randint(1960, 2010),
            registered_by=orgs[0],
        )
        for n in range(people)
    ]
    Person.objects.bulk_create(persons, batch_size=500)
    cats = ["addiction"] * 5 + ["drug_user"] * 2 + ["post_rehab", "trafficking_victim", "high_risk"]
    cases = []
    for person in persons:
        for _ in range(rng.choice((1, 1, 2))):
            opened = _day(rng)
            closed = opened + datetime.timedelta(days=400) if rng.random() < 0.3 else None
            cases.append(
                Case(
                    person=person,
                    category=rng.choice(cats),
                    managed_record=rng.random() < 0.7,
                    opened_on=opened,
                    closed_on=closed,
                    status="closed" if closed else "open",
                    organisation=rng.choice(orgs),
                    residence_commune_id=person.residence_commune_id,
                )
            )
    Case.objects.bulk_create(cases, batch_size=500)
    episodes, screenings, records, periods, vocational, referrals = [], [], [], [], [], []
    for case in cases:
        if rng.random() < 0.5:
            start = _day(rng, 2023)
            end = start + datetime.timedelta(days=200) if rng.random() < 0.5 else None
            episodes.append(
                TreatmentEpisode(
                    case=case,
                    person_id=case.person_id,
                    provider=rng.choice(orgs),
                    modality=rng.choice(
                        ("community_voluntary", "methadone", "methadone", "community_voluntary")
                    ),
                    started_on=start,
                    ended_on=end,
                    recorded_by=user,
                    outcome=rng.choice(OUTCOMES) if end else "ongoing",
                )
            )
        if rng.random() < 0.5:
            screenings.append(
                Screening(
                    case=case,
                    instrument="assist",
                    instrument_version="3.0",
                    screened_on=_day(rng, 2023),
                    screener=user,
                    answers="{}",
                    recorded_by=user,
                    injecting=rng.choice(("", "yes_recent", "no_never")),
                )
            )
        for _ in range(rng.choice((0, 1, 2))):
            records.append(
                ServiceRecord(
                    case=case,
                    service_type=rng.choice(services),
                    status="delivered",
                    delivered_on=_day(rng, 2023),
                    recorded_by=user,
                )
            )
        if rng.random() < 0.2:
            start = _day(rng, 2023)
            periods.append(
                PostRehabPeriod(
                    case=case,
                    officer=user,
                    started_on=start,
                    planned_end_on=start + datetime.timedelta(days=365),
                    recorded_by=user,
                )
            )
        if rng.random() < 0.2:
            vocational.append(
                VocationalSupport(
                    case=case,
                    kind="training",
                    provider_other="Trường",
                    started_on=_day(rng, 2023),
                    recorded_by=user,
                )
            )
        if rng.random() < 0.2:
            sent = _day(rng, 2023)
            referrals.append(
                Referral(
                    case=case,
                    from_organisation=orgs[0],
                    to_organisation=orgs[1],
                    service_type=services[0],
                    state="accepted",
                    sent_on=sent,
                    reason="x",
                    answered_on=sent + datetime.timedelta(days=rng.randint(0, 9)),
                    recorded_by=user,
                )
            )
    for model, rows in (
        (TreatmentEpisode, episodes),
        (Screening, screenings),
        (ServiceRecord, records),
        (PostRehabPeriod, periods),
        (VocationalSupport, vocational),
        (Referral, referrals),
    ):
        model.objects.bulk_create(rows, batch_size=500)  # type: ignore[arg-type]
    doses = [
        Dose(
            episode=e, given_on=e.started_on + datetime.timedelta(days=d), kind=1, recorded_by=user
        )
        for e in episodes
        if e.modality == "methadone"
        for d in range(0, 60, 2)
    ]
    Dose.objects.bulk_create(doses, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"\n{len(persons)} people, {len(cases)} cases, {len(episodes)} episodes, "
        f"{len(records)} services, {len(doses)} doses"
    )
    return {
        c.pk: (c.parent_id or c.pk) if c.parent_id != world.units["province"].pk else c.pk
        for c in communes
        if c.path.startswith(world.units["province"].path)
    }


def _plans(sql: str, params: Any = None) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}", params)
        return [row[0] for row in cursor.fetchall()]


def test_print_plans(world: World) -> None:
    rows = _grow(world)
    _print(rows, forced=False)
    # Then with sequential scans priced out: a big table still scanned has no index for it.
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
    _print(rows, forced=True)


def _print(rows: dict[int, int], *, forced: bool) -> None:
    print(f"\n=== enable_seqscan = {'off' if forced else 'on'} ===")
    year = Period(D(2025, 1, 1), D(2025, 12, 31))
    only = os.environ.get("EXPLAIN_CODES", "").split(",")
    for indicator in registry.indicators():
        if only != [""] and indicator.code not in only:
            continue
        for breakdown in (None, indicator.breakdowns[0]):
            query = Query(rows=rows, period=year, breakdown=breakdown)
            with CaptureQueriesContext(connection) as found:
                indicator.compute(query)
            statements: list[dict[str, Any]] = [
                q
                for q in found.captured_queries
                if q["sql"].lstrip().upper().startswith("SELECT")
                and "services_servicetype" not in q["sql"][:200]
            ]
            for q in statements:
                plan = _plans(q["sql"])
                seq = [
                    line.strip()
                    for line in plan
                    if "Seq Scan" in line and any(t in line for t in BIG)
                ]
                total = [line for line in plan if "Execution Time" in line]
                print(
                    f"{indicator.code} [{breakdown}] {total[0].strip() if total else ''}"
                    f" seq scans of big tables: {seq or 'none'}"
                )
                if (seq and forced) or os.environ.get("EXPLAIN_PLANS"):
                    print("\n".join("    " + line for line in plan))
