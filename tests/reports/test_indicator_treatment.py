"""TX_COVERAGE, TX_SECTOR, SCREEN_COVERAGE and USER_REACH on a hand-made dataset.

Period: 01/01/2025–30/06/2025. Rows: district 981 (communes 98101 + 98102), district 982
(98201), and commune 98001. People (sex, year of birth; "managed" = a managed-record case):

A  98101, F, 1990, Mông. Two managed addiction cases (clinic A, opened 01/03/2024; commune X,
   opened 01/02/2025). Community treatment by commune X from 10/02/2025 (on the second case).
   Screened 01/03/2025.
B  98102, M, 2000. Managed addiction case 01/01/2024 – closed 10/01/2025 (crosses the
   period's start: counted). Treated until 20/12/2024 only (not in the period). Counselling
   delivered 05/01/2025.
C  98102, M, 1985. Managed addiction case opened 20/06/2025 (crosses the period's end).
   Methadone at clinic A from 25/06/2025. Screened 01/12/2024 (before the period).
D  98201, M, 1970. Managed addiction case opened 01/05/2023, closed 01/06/2024 and re-opened
   (open now: counted as open through the period). Compulsory treatment at a public rehab
   facility from 01/03/2025. A counselling session *planned* (not delivered) in the period.
E  F, 2007. Managed addiction case opened 01/09/2024 while living in 98101; moved to 98201
   (counted in 98201: the current commune). Methadone at clinic B from 05/01/2025 and
   voluntary treatment at the rehab facility 01/03–01/05/2025 (two provider types).
Not in any denominator of TX_COVERAGE, although treated or screened:
F  98001, F, 2008: a managed *drug-user* case, treated and screened in the period.
G  98201, F, 1995: an addiction case *without* a managed record, treated.
H  98001: managed addiction case opened 05/07/2025 (after the period), treated 10/07/2025.
I  98101: managed addiction case closed 31/12/2024 (before the period), treated 01/02/2025.

TX_COVERAGE: denominator A B C | D E → 981: 3, 982: 2, 98001: 0, total 5.
  treated in the period: A, C | D, E → 981: 2/3, 982: 2/2, total 4/5 (80 %).
  by sex: 981 F (A) 1/1, M (B, C) 1/2; 982 F (E) 1/1, M (D) 1/1; totals F 2/2, M 2/3.
  by age at 2025: A 35 and C 40 → 35-44 2/2; B 25 → 25-34 0/1; D 55 → 45+ 1/1;
  E 18 → 18-24 1/1; 0-17 0/0.
  by ethnicity: Mông ("08") A 1/1; not recorded 3/4.
TX_SECTOR (numerator split by provider type, denominator the row's): commune committee A
  (981) → 1/3, total 1/5; methadone clinic C (981), E (982) → 981 1/3, 982 1/2, total 2/5;
  public rehab D, E (982) → 982 2/2, total 2/5. E is under two types, once in the row's
  total: 982 2/2, total 4/5. By sector: "Chính quyền" 1/5, "Y tế" 2/5, "Cai nghiện" 2/5.
SCREEN_COVERAGE: screened or counselled in the period: A (screened), B (counselled) → 981
  2/3, 982 0/2, total 2/5. (C's screening was before; D's counselling only planned; F is
  not in the denominator.)
USER_REACH: managed drug users open in the period: F (98001), K (98201, opened 01/02/2025).
  K given prevention 01/03/2025 → 982 1/1; F's counselling was 01/08/2025 (after) → 98001
  0/1; total 1/2. L (98101, drug user without a managed record, prevention) is not counted.
"""

from __future__ import annotations

import pytest

from cases.models import Person
from reports import registry
from tests.conftest import World

from .support import D, Data, compute, figure, pairs

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(world: World) -> Data:
    data = Data(world)
    rehab = data.org("Cơ sở cai nghiện công lập", "rehab-public")
    a = data.person("c1", "F", 1990, "08")
    data.case(a, opened=D(2024, 3, 1))
    a2 = data.case(a, opened=D(2025, 2, 1), org="commune_x")
    data.episode(a2, D(2025, 2, 10))
    data.screening(a2, D(2025, 3, 1))
    b = data.person("c2", "M", 2000)
    bc = data.case(b, opened=D(2024, 1, 1), closed=D(2025, 1, 10))
    data.episode(bc, D(2024, 6, 1), D(2024, 12, 20), "dropped_out")
    data.service(bc, "counselling", D(2025, 1, 5))
    c = data.person("c2", "M", 1985)
    cc = data.case(c, opened=D(2025, 6, 20))
    data.episode(cc, D(2025, 6, 25), modality="methadone", provider="clinic_a")
    data.screening(cc, D(2024, 12, 1))
    d = data.person("c3", "M", 1970)
    dc = data.reopen(data.case(d, opened=D(2023, 5, 1)), closed=D(2024, 6, 1))
    data.episode(dc, D(2025, 3, 1), modality="facility_compulsory", provider=rehab)
    data.service(dc, "counselling", D(2025, 4, 1), status="planned")
    e = data.person("c1", "F", 2007)
    ec = data.case(e, opened=D(2024, 9, 1))
    data.move(e, "c3")
    data.episode(ec, D(2025, 1, 5), modality="methadone", provider="clinic_b")
    data.episode(
        ec,
        D(2025, 3, 1),
        D(2025, 5, 1),
        "dropped_out",
        modality="facility_voluntary",
        provider=rehab,
    )
    f = data.person("c4", "F", 2008)
    fc = data.case(f, "drug_user", opened=D(2024, 5, 1))
    data.episode(fc, D(2025, 2, 1))
    data.screening(fc, D(2025, 2, 1))
    data.service(fc, "counselling", D(2025, 8, 1))
    g = data.person("c3", "F", 1995)
    data.episode(data.case(g, managed=False), D(2025, 2, 1))
    h = data.person("c4")
    data.episode(data.case(h, opened=D(2025, 7, 5)), D(2025, 7, 10))
    i = data.person("c1")
    data.episode(data.case(i, closed=D(2024, 12, 31)), D(2025, 2, 1))
    k = data.person("c3")
    data.service(data.case(k, "drug_user", opened=D(2025, 2, 1)), "prevention", D(2025, 3, 1))
    lp = data.person("c1")
    data.service(data.case(lp, "drug_user", managed=False), "prevention", D(2025, 3, 1))
    data.people = {"A": a, "B": b, "C": c, "D": d, "E": e}  # type: ignore[attr-defined]
    return data


def _ids(world: World) -> tuple[int, int, int]:
    return world.units["d1"].pk, world.units["d2"].pk, world.units["c4"].pk


def test_treatment_coverage_counts_people_of_the_period_in_their_commune(data: Data) -> None:
    d1, d2, c4 = _ids(data.world)
    found = pairs(compute("TX_COVERAGE", data.query()))
    assert found == {
        (d1, None): (2, 3),
        (d2, None): (2, 2),
        (c4, None): (0, 0),
        (None, None): (4, 5),
    }


def test_treatment_coverage_by_sex_has_every_cell_and_the_totals(data: Data) -> None:
    d1, d2, c4 = _ids(data.world)
    found = pairs(compute("TX_COVERAGE", data.query(breakdown="sex")))
    assert found == {
        (d1, "F"): (1, 1),
        (d1, "M"): (1, 2),
        (d1, None): (2, 3),
        (d2, "F"): (1, 1),
        (d2, "M"): (1, 1),
        (d2, None): (2, 2),
        (c4, "F"): (0, 0),
        (c4, "M"): (0, 0),
        (c4, None): (0, 0),
        (None, "F"): (2, 2),
        (None, "M"): (2, 3),
        (None, None): (4, 5),
    }


def test_treatment_coverage_by_age_group_and_ethnicity(data: Data) -> None:
    ages = compute("TX_COVERAGE", data.query(breakdown="age_group"))
    bands = ("0-17", "18-24", "25-34", "35-44", "45+")
    assert {key: figure(ages[(None, key)]) for key in bands} == {
        "0-17": (0, 0),
        "18-24": (1, 1),
        "25-34": (0, 1),
        "35-44": (2, 2),
        "45+": (1, 1),
    }
    ethnicity = compute("TX_COVERAGE", data.query(breakdown="ethnicity"))
    assert figure(ethnicity[(None, "08")]) == (1, 1)
    assert figure(ethnicity[(None, "unknown")]) == (3, 4)
    assert figure(ethnicity[(None, "01")]) == (0, 0)
    assert figure(ethnicity[(None, None)]) == (4, 5)


def test_the_people_behind_a_cell_are_the_numerator(data: Data) -> None:
    d1, d2, _c4 = _ids(data.world)
    people = registry.get("TX_COVERAGE").people
    assert people is not None
    p = data.people  # type: ignore[attr-defined]
    assert set(people(data.query(), d1, None)) == {p["A"], p["C"]}
    assert set(people(data.query(breakdown="sex"), d2, "F")) == {p["E"]}
    assert set(people(data.query(), None, None)) == {p["A"], p["C"], p["D"], p["E"]}
    assert isinstance(people(data.query(), None, None).first(), Person)


def test_sector_splits_the_numerator_by_provider_type(data: Data) -> None:
    d1, d2, c4 = _ids(data.world)
    found = pairs(compute("TX_SECTOR", data.query(breakdown="org_type")))
    assert found[(None, "commune-committee")] == (1, 5)
    assert found[(d1, "commune-committee")] == (1, 3)
    assert found[(d1, "methadone-clinic")] == (1, 3)
    assert found[(d2, "methadone-clinic")] == (1, 2)
    assert found[(None, "methadone-clinic")] == (2, 5)
    assert found[(d2, "rehab-public")] == (2, 2)
    assert found[(None, "rehab-public")] == (2, 5)
    assert found[(d2, None)] == (2, 2)  # E is under two types, once in the row
    assert found[(None, None)] == (4, 5)
    assert found[(c4, "police")] == (0, 0)
    sectors = pairs(compute("TX_SECTOR", data.query(breakdown="sector")))
    assert sectors[(None, "Chính quyền")] == (1, 5)
    assert sectors[(None, "Y tế")] == (2, 5)
    assert sectors[(None, "Cai nghiện")] == (2, 5)
    people = registry.get("TX_SECTOR").people
    assert people is not None
    p = data.people  # type: ignore[attr-defined]
    assert set(people(data.query(breakdown="org_type"), None, "rehab-public")) == {p["D"], p["E"]}


def test_screening_coverage(data: Data) -> None:
    d1, d2, c4 = _ids(data.world)
    found = pairs(compute("SCREEN_COVERAGE", data.query()))
    assert found == {
        (d1, None): (2, 3),
        (d2, None): (0, 2),
        (c4, None): (0, 0),
        (None, None): (2, 5),
    }


def test_user_reach(data: Data) -> None:
    d1, d2, c4 = _ids(data.world)
    found = pairs(compute("USER_REACH", data.query()))
    assert found == {
        (d1, None): (0, 0),
        (d2, None): (1, 1),
        (c4, None): (0, 1),
        (None, None): (1, 2),
    }
