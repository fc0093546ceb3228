"""POSTREHAB_SUPPORT, POSTREHAB_EMPLOYED, VICTIM_SUPPORT and VICTIM_SERVICE, worked by hand.

Period 01/01/2025–30/06/2025; rows 981 (98101 + 98102), 982 (98201), 98001.

Post-rehab people (a post-rehab period during the period, or a post-rehab case open in it):
P1 98101 F: post-rehab case opened 01/10/2024, no period recorded. Training 01/02–01/05/2025,
   outcome employed → supported, employed.
P2 98102 M: addiction case with a post-rehab period from 01/08/2024 (open), and a
   post-rehab case opened 01/03/2025: two categories (addiction, post_rehab). Family support
   (a social service) delivered 01/04/2025 → supported, not employed.
P3 98201 M: post-rehab period 01/01–31/12/2024 (ended before the period): not counted,
   although given training in the period.
P4 lived in 98001, moved to 98201, F: post-rehab case with a period from 01/05/2024 (open).
   Training 01/06–01/12/2024 (completed before the period) → not supported.
P5 98001 M: drug-user case with a post-rehab period from 15/06/2025. Training from
   20/06/2025 (ongoing) → supported.
POSTREHAB_SUPPORT: 981 P1 P2 2/2; 982 P4 0/1; 98001 P5 1/1; total 3/4.
  by category: post_rehab P1 P2 P4 → 2/3; addiction P2 → 1/1; drug_user P5 → 1/1; the
  total 3/4 counts P2 once (981: post_rehab 2/2, addiction 1/1, total 2/2).
POSTREHAB_EMPLOYED (of the supported P1 P2 P5): P1 → 981 1/2, 98001 0/1, total 1/3.

Returned victims (a victim case opened in the period):
V1 98101 F: case 01/02/2025; reception 01/02/2025 (not a support service); essential needs
   02/02/2025, medical care 01/03/2025 → supported.
V2 98102 F: case 01/03/2025; reception only, and legal aid *planned* → not supported.
V3 98201 F: case 01/05/2025; a stay at a Nhà Nhân ái from 02/05/2025 (essential needs);
   travel delivered 15/07/2025 (after the period's end: not counted) → supported.
V4 98201 M: case opened 01/11/2024 (before the period): not in the period's cohort.
V5 98001 F: an old victim case (2023) given the hardship allowance in 2023, and a new one
   opened 01/04/2025 with nothing yet → not supported (the old case's services do not count).
V6 98101 → moved to 98201, F: case 15/01/2025; legal aid 20/01/2025 → supported, in 982.
VICTIM_SUPPORT: 981 V1 V2 1/2; 982 V3 V6 2/2; 98001 V5 0/1; total 3/5.
VICTIM_SERVICE (denominator the row's): essential_needs V1, V3 → 981 1/2, 982 1/2, total
  2/5; medical V1 1/5; legal_aid V6 → 982 1/2, total 1/5; travel 0/5; hardship 0/5.
"""

from __future__ import annotations

import pytest

from services.models import Reception
from tests.conftest import World

from .support import D, Data, compute, pairs

pytestmark = pytest.mark.django_db


def _ids(world: World) -> tuple[int, int, int]:
    return world.units["d1"].pk, world.units["d2"].pk, world.units["c4"].pk


@pytest.fixture
def post_rehab(world: World) -> Data:
    data = Data(world)
    p1 = data.case(data.person("c1", "F"), "post_rehab", opened=D(2024, 10, 1))
    data.vocational(p1, D(2025, 2, 1), D(2025, 5, 1), "employed")
    p2 = data.person("c2", "M")
    data.post_rehab(data.case(p2, opened=D(2024, 1, 1)), D(2024, 8, 1))
    p2b = data.case(p2, "post_rehab", opened=D(2025, 3, 1))
    data.service(p2b, "family_support", D(2025, 4, 1))
    p3 = data.case(data.person("c3"), opened=D(2023, 1, 1))
    data.post_rehab(p3, D(2024, 1, 1), D(2024, 12, 31), "completed")
    data.vocational(p3, D(2025, 2, 1))
    p4 = data.person("c4", "F")
    p4c = data.case(p4, "post_rehab", opened=D(2024, 5, 1))
    data.post_rehab(p4c, D(2024, 5, 1))
    data.vocational(p4c, D(2024, 6, 1), D(2024, 12, 1), "completed")
    data.move(p4, "c3")
    p5 = data.case(data.person("c4", "M"), "drug_user", opened=D(2024, 1, 1))
    data.post_rehab(p5, D(2025, 6, 15))
    data.vocational(p5, D(2025, 6, 20))
    return data


def test_post_rehab_support(post_rehab: Data) -> None:
    d1, d2, c4 = _ids(post_rehab.world)
    found = pairs(compute("POSTREHAB_SUPPORT", post_rehab.query()))
    assert found == {
        (d1, None): (2, 2),
        (d2, None): (0, 1),
        (c4, None): (1, 1),
        (None, None): (3, 4),
    }


def test_post_rehab_support_by_category_counts_a_person_in_two_columns_once_in_total(
    post_rehab: Data,
) -> None:
    d1, _d2, _c4 = _ids(post_rehab.world)
    found = pairs(compute("POSTREHAB_SUPPORT", post_rehab.query(breakdown="category")))
    assert found[(None, "post_rehab")] == (2, 3)
    assert found[(None, "addiction")] == (1, 1)
    assert found[(None, "drug_user")] == (1, 1)
    assert found[(None, "trafficking_victim")] == (0, 0)
    assert found[(d1, "post_rehab")] == (2, 2)
    assert found[(d1, "addiction")] == (1, 1)
    assert found[(d1, None)] == (2, 2)
    assert found[(None, None)] == (3, 4)


def test_employed_after_support(post_rehab: Data) -> None:
    d1, d2, c4 = _ids(post_rehab.world)
    found = pairs(compute("POSTREHAB_EMPLOYED", post_rehab.query()))
    assert found == {
        (d1, None): (1, 2),
        (d2, None): (0, 0),
        (c4, None): (0, 1),
        (None, None): (1, 3),
    }


@pytest.fixture
def victims(world: World) -> Data:
    data = Data(world)
    shelter = data.org("Nhà Nhân ái Kiểm Thử", "nha-nhan-ai")
    v1 = data.case(data.person("c1", "F"), "trafficking_victim", opened=D(2025, 2, 1))
    for case, day in ((v1, D(2025, 2, 1)),):
        Reception.objects.create(
            case=case,
            received_on=day,
            place="Cửa khẩu",
            receiving_agency=world.orgs["social"],
            identification_status="identified",
            recorded_by=data.user,
        )
    data.service(v1, "essential_needs", D(2025, 2, 2))
    data.service(v1, "medical", D(2025, 3, 1))
    v2 = data.case(data.person("c2", "F"), "trafficking_victim", opened=D(2025, 3, 1))
    Reception.objects.create(
        case=v2,
        received_on=D(2025, 3, 1),
        place="Cửa khẩu",
        identification_status="identified",
        receiving_agency=world.orgs["social"],
        recorded_by=data.user,
    )
    data.service(v2, "legal_aid", D(2025, 3, 5), status="planned")
    v3 = data.case(data.person("c3", "F"), "trafficking_victim", opened=D(2025, 5, 1))
    data.shelter(v3, D(2025, 5, 2), shelter)
    data.service(v3, "travel", D(2025, 7, 15))
    v4 = data.case(data.person("c3", "M"), "trafficking_victim", opened=D(2024, 11, 1))
    data.service(v4, "medical", D(2025, 2, 1))
    v5 = data.person("c4", "F")
    old = data.case(v5, "trafficking_victim", opened=D(2023, 1, 1), closed=D(2023, 6, 1))
    data.service(old, "hardship_allowance", D(2023, 2, 1))
    data.case(v5, "trafficking_victim", opened=D(2025, 4, 1))
    v6 = data.person("c1", "F")
    v6c = data.case(v6, "trafficking_victim", opened=D(2025, 1, 15))
    data.service(v6c, "legal_aid", D(2025, 1, 20))
    data.move(v6, "c3")
    return data


def test_victim_support(victims: Data) -> None:
    d1, d2, c4 = _ids(victims.world)
    found = pairs(compute("VICTIM_SUPPORT", victims.query()))
    assert found == {
        (d1, None): (1, 2),
        (d2, None): (2, 2),
        (c4, None): (0, 1),
        (None, None): (3, 5),
    }


def test_victim_service_by_service(victims: Data) -> None:
    d1, d2, c4 = _ids(victims.world)
    found = pairs(compute("VICTIM_SERVICE", victims.query(breakdown="service")))
    assert found[(d1, "essential_needs")] == (1, 2)
    assert found[(d2, "essential_needs")] == (1, 2)
    assert found[(None, "essential_needs")] == (2, 5)
    assert found[(None, "medical")] == (1, 5)
    assert found[(d2, "legal_aid")] == (1, 2)
    assert found[(None, "legal_aid")] == (1, 5)
    assert found[(None, "travel")] == (0, 5)
    assert found[(c4, "hardship_allowance")] == (0, 1)
    assert found[(None, None)] == (3, 5)
    assert len(found) == 4 * 9  # every row and the total, every service and the total
