"""Cases carry a copy of their person's commune (the scope rules filter on it): it follows."""

from __future__ import annotations

from cases import access, actions
from cases.models import Case, Person
from tests.conftest import World
from tests.factories import make_case


def test_a_move_moves_the_cases_and_who_sees_them(world: World, lan_person: Person) -> None:
    minh = world.users["minh"]  # commune officer of c1, where lan_person lives
    second = make_case(person=lan_person, organisation=world.orgs["clinic_b"])
    assert access.visible_cases(minh).filter(pk=second.pk).exists()
    data = actions.PersonData(
        full_name=lan_person.full_name,
        citizen_id=lan_person.citizen_id,
        phone=lan_person.phone,
        residence_commune=world.units["c3"],
        sex=lan_person.sex,
        birth_year=lan_person.birth_year,
    )
    actions.person_update(
        actor=world.users["lan"], person=lan_person, data=data, if_version=lan_person.version
    )
    assert set(
        Case.objects.filter(person=lan_person).values_list("residence_commune", flat=True)
    ) == {world.units["c3"].pk}
    # clinic B's case is no longer minh's: its person lives elsewhere now.
    assert not access.visible_cases(minh).filter(pk=second.pk).exists()
    # A new case copies the commune from its person.
    lan_person.refresh_from_db()
    third = make_case(person=lan_person, organisation=world.orgs["clinic_b"])
    assert third.residence_commune_id == world.units["c3"].pk


def test_a_plain_save_writes_only_its_own_row(world: World, lan_person: Person) -> None:
    """The copy is the person action's business: ``Person.save`` writes no other row."""
    lan_person.residence_commune = world.units["c3"]
    lan_person.save()
    assert set(
        Case.objects.filter(person=lan_person).values_list("residence_commune", flat=True)
    ) == {world.units["c1"].pk}
