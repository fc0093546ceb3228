"""The people query stays cheap to plan: each set once, the person row's own tests first.

A province supervisor's ~150 communes used to be sent and planned twice per lookup (on the
person row and again on its cases); the case's commune is a copy of the person's, so the
people query tests it once, on the person row, before the probe of the person's cases
(decision D26). These tests pin that shape and that it admits exactly the same people; the
family clause (D42) adds one more test of the list, for family-only rows alone.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import access
from cases.models import Person
from tests.conftest import World
from tests.factories import make_case, make_person


def _people_sql(user: Any) -> str:
    with CaptureQueriesContext(connection) as queries:
        list(access.visible_people(user))
    (sql,) = [q["sql"] for q in queries.captured_queries if 'FROM "cases_person"' in q["sql"]]
    return sql


# The commune list is sent once for the person row and once more inside the family clause
# (D42): a family member without a case is seen through a linked client, whose row that
# probe tests. PostgreSQL runs the probe only for family-only rows (``family_only AND
# EXISTS(...)``), so the ordinary lookup tests the list once.
COMMUNE_LISTS = 2


def test_a_supervisors_people_query_sends_the_commune_list_once(world: World) -> None:
    sql = _people_sql(world.users["hoa"])
    assert sql.count('"residence_commune_id" = ANY(') == COMMUNE_LISTS
    # ...on the person row, ahead of the probe of the person's cases.
    assert sql.index('"cases_person"."residence_commune_id" = ANY(') < sql.index("EXISTS(")


def test_a_commune_officers_people_query_tests_the_person_row_first(world: World) -> None:
    sql = _people_sql(world.users["minh"])
    assert sql.count('"residence_commune_id" = ANY(') == COMMUNE_LISTS
    assert sql.index('"cases_person"."registered_by_id"') < sql.index("EXISTS(")


def test_a_resident_is_seen_by_residence_whoever_holds_the_case(world: World) -> None:
    """A person living in the commune, with a case held outside the officer's organisation
    and no person-row tie to it, is still the officer's (and the supervisor's)."""
    resident = make_person(residence_commune=world.units["c1"], registered_by=world.orgs["social"])
    make_case(person=resident, organisation=world.orgs["clinic_b"])
    outsider = make_person(residence_commune=world.units["c4"], registered_by=world.orgs["social"])
    make_case(person=outsider, organisation=world.orgs["clinic_b"])
    for who in ("minh", "hoa"):
        visible = set(access.visible_people(world.users[who]).values_list("pk", flat=True))
        assert resident.pk in visible, who
    assert outsider.pk not in set(
        access.visible_people(world.users["minh"]).values_list("pk", flat=True)
    )


def test_people_admitted_through_a_case_are_those_admitted_by_its_clauses(
    world: World, lan_person: Person, tuan_person: Person
) -> None:
    """Leaving the residence clause out of the people query's case probe changes no one's
    answer: the people seen equal the people of the visible cases plus the person-row rule."""
    held_by_commune = make_person(
        residence_commune=world.units["c4"], registered_by=world.orgs["social"]
    )
    make_case(person=held_by_commune, organisation=world.orgs["commune_x"])
    for who in ("lan", "tuan", "minh", "hoa"):
        user = world.users[who]
        for scope in ("view", "change"):
            people = set(access.visible_people(user, scope).values_list("pk", flat=True))
            through_cases = set(
                access.visible_cases(user, scope).values_list("person_id", flat=True)
            )
            assert through_cases <= people, (who, scope)
    officer_people = set(access.visible_people(world.users["minh"]).values_list("pk", flat=True))
    assert held_by_commune.pk in officer_people


def test_an_id_list_refuses_anything_but_ids() -> None:
    assert access._array_text([3, 1, 2]) == "{3,1,2}"
    assert access._array_text([u := uuid4()]) == "{" + str(u) + "}"
    for bad in (["1},{2"], [True], [1.5]):
        with pytest.raises(TypeError):
            access._array_text(bad)
