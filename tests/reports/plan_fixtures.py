"""Plans, targets and a test indicator shared by the plan tests."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from accounts.models import User
from cases.choices import Role, UnitLevel
from cases.models import AdministrativeUnit, StaffProfile
from cases.roles import staff_profile_save
from reports import registry
from reports.models import Plan, Target
from tests.conftest import World
from tests.factories import make_user

GROUP = registry.Group("test_plans", "Test plans", order=999)
SHARE = "TEST_PLAN_SHARE"
COUNT = "TEST_PLAN_COUNT"


def _nothing(query: registry.Query) -> registry.Result:
    return {}


@pytest.fixture
def indicators() -> Iterator[None]:
    """Register a share and a count indicator of a test group; unregister them after."""
    registry.register_group(GROUP)
    registry.register(registry.Indicator(SHARE, "Tỷ lệ thử", GROUP.code, "share", _nothing))
    registry.register(registry.Indicator(COUNT, "Số người thử", GROUP.code, "count", _nothing))
    yield
    registry.unregister(SHARE)
    registry.unregister(COUNT)
    registry.unregister_group(GROUP.code)


def make_plan(unit: AdministrativeUnit, **fields: Any) -> Plan:
    values: dict[str, Any] = {
        "number": "30/KH-UBND",
        "issuer": "UBND tỉnh Kiểm Thử",
        "unit": unit,
        "first_year": 2025,
        "last_year": 2026,
    }
    values.update(fields)
    plan = Plan(**values)
    plan.save()
    return plan


def make_target(plan: Plan, **fields: Any) -> Target:
    values: dict[str, Any] = {
        "indicator": SHARE,
        "unit": plan.unit,
        "year": plan.first_year,
        "kind": "share",
        "comparison": "at_least",
        "value": Decimal("70"),
    }
    values.update(fields)
    target = Target(plan=plan, **values)
    target.save()
    return target


@pytest.fixture
def far_province(world: World) -> AdministrativeUnit:
    return AdministrativeUnit.objects.create(code="97", name="Tỉnh Khác", level=UnitLevel.PROVINCE)


@pytest.fixture
def binh(world: World) -> User:
    """A supervisor of district 981 (Huyện Một): below hoa, who supervises the province."""
    user = make_user("binh")
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=user,
            organisation=world.orgs["social"],
            role=Role.SUPERVISOR,
            scope_unit=world.units["d1"],
        ),
    )
    return user
