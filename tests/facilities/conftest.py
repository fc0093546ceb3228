"""The hand-made dataset of the facility indicators (worked out in test_indicators.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from facilities.models import FacilityProfile, Overall
from tests.conftest import World
from tests.reports.support import D, Data

from .support import facility, review

MEETS, FAILS = Overall.MEETS, Overall.DOES_NOT_MEET


@dataclass
class Dataset:
    data: Data
    f1: FacilityProfile
    f2: FacilityProfile
    f3: FacilityProfile
    f4: FacilityProfile


@pytest.fixture
def facilities(world: World) -> Dataset:
    d = Data(world)
    u, user = world.units, world.users["hoa"]
    f1 = facility("Cơ sở cai nghiện Một", "rehab-public", u["c1"], capacity=10)
    f2 = facility("Nhà Nhân ái Hai", "nha-nhan-ai", u["c2"], capacity=5, unit="places")
    f3 = facility("Cơ sở cai nghiện Ba", "rehab-public", u["c3"], capacity=0)
    f4 = facility("Methadone Bốn", "methadone-clinic", u["c4"], capacity=300, unit="patients")
    f5 = facility("Cơ sở đã đóng", "rehab-public", u["c1"], capacity=50, active=False)
    review(f1, D(2025, 2, 10), MEETS, user)
    review(f2, D(2025, 1, 15), MEETS, user)
    review(f2, D(2025, 5, 20), FAILS, user)
    review(f4, D(2025, 8, 1), MEETS, user)
    review(f5, D(2025, 3, 1), MEETS, user)

    def stay(commune: str, started: Any, ended: Any = None, **more: Any) -> None:
        case = d.case(d.person(commune), opened=D(2024, 6, 1))
        modality = more.pop("modality", "facility_voluntary")
        d.episode(case, started, ended, modality=modality, **more)

    rehab = f1.organisation
    stay("c3", D(2025, 6, 1), provider=rehab)  # A
    stay("c1", D(2025, 3, 1), D(2025, 6, 30), provider=rehab)  # B
    stay("c1", D(2025, 3, 1), D(2025, 6, 29), provider=rehab)  # C
    stay("c1", D(2025, 1, 1), modality="methadone", provider=rehab)  # D
    stay("c2", D(2025, 7, 1), provider=rehab)  # E
    stay("c3", D(2025, 2, 1), provider=f3.organisation)  # G, at the capacity-0 facility
    for entered, left in ((D(2025, 6, 15), None), (D(2025, 5, 1), D(2025, 6, 10))):
        case = d.case(d.person("c2", "F"), "trafficking_victim", opened=D(2025, 4, 1))
        sheltered = d.shelter(case, entered, f2.organisation)
        sheltered.left_on = left
        sheltered.save()
    return Dataset(d, f1, f2, f3, f4)
