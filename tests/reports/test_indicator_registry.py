"""Every indicator of the shared table is registered, and every one answers every breakdown
it offers with a cell for each row and key and the totals, people not rows.

The dataset mixes one record of every kind (see ``mixed``) so that each indicator has
something to count; the worked values of each indicator are in the other
``test_indicator_*`` files.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports import registry
from reports.registry import Period
from tests.conftest import World

from .support import D, Data

pytestmark = pytest.mark.django_db

CODES = {
    "treatment": {"TX_COVERAGE", "TX_SECTOR"},
    "screening": {"SCREEN_COVERAGE"},
    "postrehab": {"POSTREHAB_SUPPORT", "POSTREHAB_EMPLOYED"},
    "users": {"USER_REACH"},
    "victims": {"VICTIM_SUPPORT", "VICTIM_SERVICE"},
    "registrations": {"NEW_ADDICTION", "NEW_ADDICTION_PREV"},
    "methadone": {
        "MMT_IN_TREATMENT",
        "MMT_RETENTION_6",
        "MMT_RETENTION_12",
        "MMT_ADHERENCE",
        "MMT_INJECTING",
    },
    "quality": {"TX_COMPLETED", "TX_DROPPED", "POSTREHAB_COMPLETED", "RELAPSE"},
    "referrals": {"REF_SENT", "REF_ACCEPTED", "REF_COMPLETED", "REF_MEDIAN_DAYS"},
}


# Groups whose figures count no client (courses, staff, activities: programme, D48), so no
# "people behind this number" list.
NOT_PEOPLE = {"training", "communication"}


def test_every_code_of_the_shared_table_is_registered_in_its_group() -> None:
    # In this order; later apps may add groups and indicators (the registry is a plug-in point).
    assert [g.code for g in registry.groups() if g.code in CODES] == list(CODES)
    for group, codes in CODES.items():
        assert codes <= {i.code for i in registry.indicators(group)}
    assert all(registry.get(code).victims for code in CODES["victims"])
    assert not any(i.victims for i in registry.indicators() if i.group != "victims")


def test_every_breakdown_an_indicator_offers_is_registered_with_labels() -> None:
    for indicator in registry.indicators():
        for code in indicator.breakdowns:
            assert registry.breakdown_keys(code), (indicator.code, code)


@pytest.fixture
def mixed(world: World) -> Data:
    data = Data(world)
    a = data.person("c1", "F", 1999)
    ac = data.case(a, opened=D(2025, 1, 10))
    data.case(a, "post_rehab", opened=D(2024, 1, 1))
    data.episode(ac, D(2025, 1, 20), D(2025, 5, 1), "completed")
    data.episode(ac, D(2025, 5, 2), modality="methadone", provider="clinic_a")
    data.screening(ac, D(2025, 2, 1), injecting="yes_recent")
    data.vocational(ac, D(2025, 3, 1), D(2025, 4, 1), "employed")
    b = data.person("c3", "M", 1980)
    bc = data.case(b, "drug_user", opened=D(2024, 6, 1))
    data.service(bc, "prevention", D(2025, 3, 3))
    data.post_rehab(bc, D(2024, 6, 1), D(2025, 6, 1), "completed")
    v = data.case(data.person("c4", "F", 2005), "trafficking_victim", opened=D(2025, 2, 2))
    data.service(v, "medical", D(2025, 2, 3))
    return data


def test_every_indicator_answers_each_breakdown_with_every_cell(mixed: Data) -> None:
    rows = sorted(set(mixed.rows().values()))
    for indicator in registry.indicators():
        for breakdown in (None, *indicator.breakdowns):
            query = mixed.query(breakdown=breakdown)
            found = indicator.compute(query)
            keys = registry.breakdown_keys(breakdown) if breakdown else []
            expected = {(row, key) for row in [*rows, None] for key in [*keys, None]}
            assert set(found) == expected, (indicator.code, breakdown)
            total = found[(None, None)]
            for (row, key), cell in found.items():
                if indicator.kind == "share":
                    assert cell.denominator is not None
                    assert 0 <= cell.numerator <= cell.denominator, (indicator.code, row, key)
                # No cell counts more than its row's or its column's total.
                assert cell.numerator <= found[(row, None)].numerator or key is None
                if indicator.kind != "median":
                    assert cell.numerator <= total.numerator, (indicator.code, row, key)
            if indicator.kind != "median":
                # Rows never count a unit twice: the rows add up to the total.
                assert sum(found[(row, None)].numerator for row in rows) == total.numerator


# Indicators that count no people (facilities: D49) have no list of people behind a number.
NO_PEOPLE = {"FAC_CONDITIONS_MET"}


def test_the_people_behind_a_total_are_at_most_its_numerator(mixed: Data) -> None:
    for indicator in registry.indicators():
        if indicator.group in NOT_PEOPLE or indicator.code in NO_PEOPLE:
            assert indicator.people is None, indicator.code
            continue
        assert indicator.people is not None, indicator.code
        query = mixed.query()
        people = indicator.people(query, None, None)
        total = indicator.compute(query)[(None, None)].numerator
        assert people.count() <= total, indicator.code
        if indicator.code in {"TX_COVERAGE", "SCREEN_COVERAGE", "USER_REACH", "VICTIM_SUPPORT"}:
            assert people.count() == total == 1, indicator.code


def test_all_breakdowns_at_once_give_what_each_gives_alone(mixed: Data) -> None:
    """The tables' path (one grouped query for every breakdown) against one query each."""
    for period in (mixed.query().period, Period(D(2024, 1, 1), D(2025, 12, 31))):
        for indicator in registry.indicators():
            breakdowns = [None, *indicator.breakdowns]
            many = registry.compute_many(indicator, mixed.query(period), breakdowns)
            assert list(many) == breakdowns
            for breakdown in breakdowns:
                alone = indicator.compute(mixed.query(period, breakdown=breakdown))
                assert dict(many[breakdown]) == dict(alone), (indicator.code, breakdown)


def test_one_query_counts_a_share_under_every_breakdown(mixed: Data) -> None:
    indicator = registry.get("TX_COVERAGE")
    with CaptureQueriesContext(connection) as queries:
        many = registry.compute_many(
            indicator, mixed.query(), [None, *indicator.breakdowns], live=True
        )
    # One grouped count, and the residence history's one lookup of people who moved (D50).
    counts = [q for q in queries if '"cases_residence"' not in q["sql"]]
    assert len(counts) == 1 and len(queries) == 2
    assert many["sex"][(None, "F")].numerator == 1  # person a: treated, in the numerator
