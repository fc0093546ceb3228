"""Cases carry a copy of their person's commune (the scope rules filter on it): it follows."""

from __future__ import annotations

from cases import access
from cases.models import Case, Person
from tests.conftest import World
from tests.factories import make_case


def test_a_move_moves_the_cases_and_who_sees_them(world: World, lan_person: Person) -> None:
    minh = world.users["minh"]  # commune officer of c1, where lan_person lives
    second = make_case(person=lan_person, organisation=world.orgs["clinic_b"])
    assert access.visible_cases(minh).filter(pk=second.pk).exists()
    lan_person.residence_commune = world.units["c3"]
    lan_person.save()
    assert set(
        Case.objects.filter(person=lan_person).values_list("residence_commune", flat=True)
    ) == {world.units["c3"].pk}
    # clinic B's case is no longer minh's: its person lives elsewhere now.
    assert not access.visible_cases(minh).filter(pk=second.pk).exists()
    # A new case copies the commune from its person.
    third = make_case(person=lan_person, organisation=world.orgs["clinic_b"])
    assert third.residence_commune_id == world.units["c3"].pk
