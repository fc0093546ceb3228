"""TX_COMPLETED, TX_DROPPED, POSTREHAB_COMPLETED, RELAPSE, NEW_ADDICTION and
NEW_ADDICTION_PREV, worked by hand.

Period 01/01/2025–30/06/2025; rows 981 (98101 + 98102), 982 (98201), 98001.

Treatment episodes (counted per episode that ended in the period; transfers left out):
T1 X 98101 community 01/07/2024–15/01/2025 completed
T2 X 98101 (a second case) facility voluntary 01/10/2024–01/04/2025 completed
T3 Y 98102 community 01/12/2024–01/03/2025 dropped out (Y also has an ongoing episode)
T4 Z 98201 facility compulsory 01/01/2024–01/02/2025 transferred (left out)
T5 Z 98201 methadone 01/05/2024–01/05/2025 died
T6 W 98001 community 01/06/2024–31/12/2024 completed (ended before the period)
T7 V 98001 community 01/01/2025–30/06/2025 completed (the end day is in the period)
TX_COMPLETED: 981 T1 T2 of T1 T2 T3 → 2/3; 982 0/1; 98001 1/1; total 3/5.
TX_DROPPED: 981 1/3; 982 0/1; 98001 0/1; total 1/5.
  by modality (completed): community T1 T3 T7 → 2/3; facility voluntary 1/1; methadone 0/1;
  facility compulsory 0/0.
RELAPSE (people with an episode completed in the period: X, V): X opens a new addiction case
  on 01/09/2025, within 12 months of both completions → relapsed. V's addiction case is
  closed 01/07/2025 and re-opened (no new case: not a relapse); V's new case of 01/08/2026
  is more than 12 months after 30/06/2025 → not relapsed. 981 1/1, 98001 0/1, total 1/2.
  by modality: community (X, V) 1/2; facility voluntary (X) 1/1; total 1/2.
POSTREHAB_COMPLETED (periods ended in the period, "moved away" left out):
  Q1 X 98101 01/03/2024–01/03/2025 completed; Q2 X 98101 (second case) 01/06/2024–01/06/2025
  completed; Q3 Y 98102 01/07/2024–01/02/2025 relapsed; Q4 Z 98201 ended 01/05/2025 moved
  away (left out); Q5 W 98001 ended 31/12/2024 (before). → 981 2/3; total 2/3.

New people with addiction (first addiction case opened in the period; previous period =
01/07/2024–31/12/2024):
N1 98101: addiction case (no managed record) opened 01/02/2025 → new.
N2 98101: addiction cases opened 10/01/2025 and 01/05/2025 → new, once.
N3 98102: addiction case 01/03/2024 (closed 01/06/2024), another 01/03/2025 → not new.
N4 98201: addiction case 01/08/2024 → new in the previous period.
N5 98201: drug-user case 01/02/2025 → not addiction.
N6 98001: addiction case 01/07/2025 → after the period.
N7 98101 → moved to 98001: addiction case 01/10/2024 → previous period, in 98001.
NEW_ADDICTION: 981 2, 982 0, 98001 0, total 2. NEW_ADDICTION_PREV: 982 1, 98001 1, total 2.
"""

from __future__ import annotations

import pytest

from reports.indicators.engine import previous
from reports.registry import Period
from tests.conftest import World

from .support import H1, D, Data, compute, pairs

pytestmark = pytest.mark.django_db


def _ids(world: World) -> tuple[int, int, int]:
    return world.units["d1"].pk, world.units["d2"].pk, world.units["c4"].pk


@pytest.fixture
def quality(world: World) -> Data:
    data = Data(world)
    x = data.person("c1")
    x1, x2 = data.case(x, opened=D(2024, 1, 1)), data.case(x, opened=D(2024, 5, 1))
    data.episode(x1, D(2024, 7, 1), D(2025, 1, 15), "completed")
    data.episode(x2, D(2024, 10, 1), D(2025, 4, 1), "completed", modality="facility_voluntary")
    data.case(x, opened=D(2025, 9, 1))
    y = data.case(data.person("c2"), opened=D(2024, 1, 1))
    data.episode(y, D(2024, 12, 1), D(2025, 3, 1), "dropped_out")
    data.episode(y, D(2025, 3, 10))
    z = data.case(data.person("c3"), opened=D(2023, 1, 1))
    data.episode(z, D(2024, 1, 1), D(2025, 2, 1), "transferred", modality="facility_compulsory")
    data.episode(z, D(2024, 5, 1), D(2025, 5, 1), "died", modality="methadone")
    w = data.case(data.person("c4"), opened=D(2024, 1, 1))
    data.episode(w, D(2024, 6, 1), D(2024, 12, 31), "completed")
    v = data.person("c4")
    vc = data.reopen(data.case(v, opened=D(2024, 12, 1)), closed=D(2025, 7, 1))
    data.episode(vc, D(2025, 1, 1), D(2025, 6, 30), "completed")
    data.case(v, opened=D(2026, 8, 1))
    data.post_rehab(x1, D(2024, 3, 1), D(2025, 3, 1), "completed")
    data.post_rehab(x2, D(2024, 6, 1), D(2025, 6, 1), "completed")
    data.post_rehab(y, D(2024, 7, 1), D(2025, 2, 1), "relapsed")
    data.post_rehab(z, D(2024, 7, 1), D(2025, 5, 1), "moved")
    data.post_rehab(w, D(2024, 1, 1), D(2024, 12, 31), "completed")
    return data


def test_episodes_completed_and_dropped_out(quality: Data) -> None:
    d1, d2, c4 = _ids(quality.world)
    completed = pairs(compute("TX_COMPLETED", quality.query()))
    assert completed == {
        (d1, None): (2, 3),
        (d2, None): (0, 1),
        (c4, None): (1, 1),
        (None, None): (3, 5),
    }
    dropped = pairs(compute("TX_DROPPED", quality.query()))
    assert dropped == {
        (d1, None): (1, 3),
        (d2, None): (0, 1),
        (c4, None): (0, 1),
        (None, None): (1, 5),
    }


def test_episodes_completed_by_modality(quality: Data) -> None:
    found = pairs(compute("TX_COMPLETED", quality.query(breakdown="modality")))
    assert found[(None, "community_voluntary")] == (2, 3)
    assert found[(None, "facility_voluntary")] == (1, 1)
    assert found[(None, "methadone")] == (0, 1)
    assert found[(None, "facility_compulsory")] == (0, 0)
    assert found[(None, None)] == (3, 5)


def test_relapse_within_twelve_months(quality: Data) -> None:
    d1, d2, c4 = _ids(quality.world)
    found = pairs(compute("RELAPSE", quality.query()))
    assert found == {
        (d1, None): (1, 1),
        (d2, None): (0, 0),
        (c4, None): (0, 1),
        (None, None): (1, 2),
    }
    by_modality = pairs(compute("RELAPSE", quality.query(breakdown="modality")))
    assert by_modality[(None, "community_voluntary")] == (1, 2)
    assert by_modality[(None, "facility_voluntary")] == (1, 1)
    assert by_modality[(None, None)] == (1, 2)


def test_post_rehab_periods_completed(quality: Data) -> None:
    d1, d2, c4 = _ids(quality.world)
    found = pairs(compute("POSTREHAB_COMPLETED", quality.query()))
    assert found == {
        (d1, None): (2, 3),
        (d2, None): (0, 0),
        (c4, None): (0, 0),
        (None, None): (2, 3),
    }


@pytest.fixture
def registrations(world: World) -> Data:
    data = Data(world)
    data.case(data.person("c1"), managed=False, opened=D(2025, 2, 1))
    n2 = data.person("c1")
    data.case(n2, opened=D(2025, 1, 10))
    data.case(n2, opened=D(2025, 5, 1))
    n3 = data.person("c2")
    data.case(n3, opened=D(2024, 3, 1), closed=D(2024, 6, 1))
    data.case(n3, opened=D(2025, 3, 1))
    data.case(data.person("c3"), opened=D(2024, 8, 1))
    data.case(data.person("c3"), "drug_user", opened=D(2025, 2, 1))
    data.case(data.person("c4"), opened=D(2025, 7, 1))
    n7 = data.person("c1")
    data.case(n7, opened=D(2024, 10, 1))
    data.move(n7, "c4")
    return data


def test_new_people_with_addiction_and_the_previous_period(registrations: Data) -> None:
    d1, d2, c4 = _ids(registrations.world)
    now = pairs(compute("NEW_ADDICTION", registrations.query()))
    assert now == {
        (d1, None): (2, None),
        (d2, None): (0, None),
        (c4, None): (0, None),
        (None, None): (2, None),
    }
    before = pairs(compute("NEW_ADDICTION_PREV", registrations.query()))
    assert before == {
        (d1, None): (0, None),
        (d2, None): (1, None),
        (c4, None): (1, None),
        (None, None): (2, None),
    }


def test_the_previous_period_has_the_same_length() -> None:
    assert previous(H1) == Period(D(2024, 7, 1), D(2024, 12, 31))
    assert previous(Period(D(2025, 1, 1), D(2025, 12, 31))) == Period(
        D(2024, 1, 1), D(2024, 12, 31)
    )
    assert previous(Period(D(2025, 4, 1), D(2025, 6, 30))) == Period(D(2025, 1, 1), D(2025, 3, 31))
    assert previous(Period(D(2025, 3, 10), D(2025, 3, 19))) == Period(D(2025, 2, 28), D(2025, 3, 9))
