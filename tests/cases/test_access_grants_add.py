"""A one-by-one grant adds to what the rules give; it never replaces them."""

from __future__ import annotations

from cases import access
from cases.models import Person
from cases.roles import grant_give
from tests.conftest import World
from tests.factories import make_case, make_person


def test_a_person_grant_keeps_the_people_reached_through_cases(
    world: World, lan_person: Person
) -> None:
    tuan = world.users["tuan"]  # caseworker at clinic B
    # Registered by clinic A, living in clinic A's district: tuan reaches them only because
    # clinic B holds one of their cases.
    through_case = make_person(
        residence_commune=world.units["c1"], registered_by=world.orgs["clinic_a"]
    )
    make_case(person=through_case, organisation=world.orgs["clinic_b"])
    assert set(access.visible_people(tuan)) == {through_case}
    grant_give(actor=None, user=tuan, obj=lan_person)
    assert set(access.visible_people(tuan)) == {through_case, lan_person}


def test_a_scope_unit_is_looked_up_once_per_query(world: World) -> None:
    """The case rule and the person rule of one query share the lookup of the subtree."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for who in ("minh", "hoa"):
        with CaptureQueriesContext(connection) as queries:
            access.visible_people(world.users[who])
        units = [
            q for q in queries.captured_queries if 'FROM "cases_administrativeunit"' in q["sql"]
        ]
        assert len(units) == 1, [q["sql"] for q in units]
