"""Who sees exact figures: the viewer's scope, the victims' rule, exports for sharing.

hoa supervises province 98; son supervises district 981; minh is the officer of commune
98101 (c1); lan is a caseworker (no figures at all).
"""

from __future__ import annotations

import pytest
from django.http import Http404

from accounts.models import User
from audit.models import Event
from cases.choices import Role, UnitLevel
from cases.models import AdministrativeUnit, StaffProfile
from cases.roles import staff_profile_save
from reports.suppression import exact_for, figures_unit_for, figures_units
from tests.conftest import World
from tests.factories import make_user
from tests.reports.export_support import COUNT, VICTIMS_INDICATOR


def _son(world: World) -> User:
    user = make_user("son")
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=user,
            organisation=world.orgs["clinic_a"],
            role=Role.SUPERVISOR,
            scope_unit=world.units["d1"],
        ),
    )
    return user


def test_exact_inside_the_scope_suppressed_outside(world: World) -> None:
    hoa, minh, son = world.users["hoa"], world.users["minh"], _son(world)
    u = world.units
    assert exact_for(hoa, u["c3"], COUNT, sharing=False)
    assert exact_for(son, u["d1"], COUNT, sharing=False)
    assert exact_for(son, u["c2"], COUNT, sharing=False)
    assert not exact_for(son, u["d2"], COUNT, sharing=False)
    assert not exact_for(son, u["province"], COUNT, sharing=False)  # above the scope
    assert exact_for(minh, u["c1"], COUNT, sharing=False)
    assert not exact_for(minh, u["c2"], COUNT, sharing=False)
    assert not exact_for(world.users["lan"], u["c1"], COUNT, sharing=False)  # no figures


def test_victims_figures_below_the_province_are_exact_only_for_that_units_own_staff(
    world: World,
) -> None:
    """Returned victims are few per commune: below province level their figures are exact
    only for a viewer whose scope is that very unit (the commune's officer, the district's
    supervisor for the district's total); a province or district supervisor sees a commune's
    victims' figures suppressed (issue 25: "for viewers outside that commune")."""
    hoa, minh, son = world.users["hoa"], world.users["minh"], _son(world)
    u = world.units
    assert exact_for(minh, u["c1"], VICTIMS_INDICATOR, sharing=False)
    assert not exact_for(minh, u["c2"], VICTIMS_INDICATOR, sharing=False)
    assert not exact_for(minh, u["d1"], VICTIMS_INDICATOR, sharing=False)
    assert exact_for(son, u["d1"], VICTIMS_INDICATOR, sharing=False)
    assert not exact_for(son, u["c1"], VICTIMS_INDICATOR, sharing=False)
    assert not exact_for(son, u["c3"], VICTIMS_INDICATOR, sharing=False)
    assert not exact_for(hoa, u["c1"], VICTIMS_INDICATOR, sharing=False)
    assert not exact_for(hoa, u["d1"], VICTIMS_INDICATOR, sharing=False)
    assert exact_for(hoa, u["province"], VICTIMS_INDICATOR, sharing=False)
    assert not exact_for(minh, u["province"], VICTIMS_INDICATOR, sharing=False)
    # Other figures of the same commune stay exact for the province's supervisor.
    assert exact_for(hoa, u["c1"], COUNT, sharing=False)


def test_an_export_for_sharing_is_always_suppressed(world: World) -> None:
    hoa, minh = world.users["hoa"], world.users["minh"]
    for unit in world.units.values():
        assert not exact_for(hoa, unit, COUNT, sharing=True)
        assert not exact_for(hoa, unit, VICTIMS_INDICATOR, sharing=True)
    assert not exact_for(minh, world.units["c1"], COUNT, sharing=True)


def test_units_of_the_viewers_province_are_given(world: World) -> None:
    minh = world.users["minh"]
    assert figures_unit_for(minh, world.units["c3"].pk) == world.units["c3"]
    assert figures_unit_for(minh, str(world.units["province"].pk)) == world.units["province"]
    assert {u.code for u in figures_units(minh)} == {u.code for u in world.units.values()}
    assert not Event.objects.filter(action="denied").exists()


def test_a_unit_of_another_province_is_refused_and_recorded(world: World) -> None:
    """ASVS 8.2.2: figures of another province's unit: 404 and a denied event."""
    other = AdministrativeUnit.objects.create(
        code="99", name="Tỉnh Khác", level=UnitLevel.PROVINCE, parent=None
    )
    commune = AdministrativeUnit.objects.create(
        code="99001", name="Xã Khác", level=UnitLevel.COMMUNE, parent=other
    )
    for unit in (other, commune):
        with pytest.raises(Http404):
            figures_unit_for(world.users["hoa"], unit.pk)
    denied = Event.objects.filter(action="denied", object_type="administrativeunit")
    assert sorted(denied.values_list("object_id", flat=True)) == sorted(
        [str(other.pk), str(commune.pk)]
    )
    assert figures_units(world.users["lan"]) == []


def test_a_viewer_without_figures_is_refused_and_recorded(world: World) -> None:
    """ASVS 8.2.1: a caseworker asking figures of their own district is refused."""
    with pytest.raises(Http404):
        figures_unit_for(world.users["lan"], world.units["d1"].pk)
    assert Event.objects.filter(action="denied", actor=world.users["lan"]).count() == 1
