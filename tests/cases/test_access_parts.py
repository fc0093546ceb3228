"""The parts a long list is counted through are exactly the visible cases, clause by clause.

``access.visible_case_parts`` lets the case list settle "more than 10,000" from one clause's
index. Each part must lie inside what the user may see, and together they must cover it, or
a list's total would be wrong.

ASVS 8.2.2 (data-level access: a count never reflects rows outside the user's scope).
"""

from __future__ import annotations

from typing import Any

from cases import access
from cases.models import Case, Person
from cases.roles import grant_give
from tests.conftest import World
from tests.factories import make_case, make_person


def _ids(rows: Any) -> set[Any]:
    return set(rows.values_list("pk", flat=True))


def test_the_parts_together_are_the_visible_cases(
    world: World, lan_person: Person, tuan_person: Person
) -> None:
    elsewhere = make_person(residence_commune=world.units["c4"], registered_by=world.orgs["social"])
    held_by_commune = make_case(person=elsewhere, organisation=world.orgs["commune_x"])
    granted = Case.objects.get(person=tuan_person)
    grant_give(actor=None, user=world.users["lan"], obj=granted)
    for who in ("lan", "mai", "tuan", "minh", "hoa"):
        user = world.users[who]
        for scope in ("view", "change"):
            parts = access.visible_case_parts(user, scope)
            visible = _ids(access.visible_cases(user, scope))
            union: set[Any] = set().union(*(_ids(p) for p in parts))
            assert union == visible, (who, scope)
    assert granted.pk in set().union(
        *(_ids(p) for p in access.visible_case_parts(world.users["lan"]))
    )
    assert held_by_commune.pk in _ids(access.visible_cases(world.users["minh"]))


def test_roles_without_case_content_get_no_parts(world: World, lan_person: Person) -> None:
    """ASVS 8.2.2: an auditor or administrator, even holding a stray grant, counts nothing."""
    case = Case.objects.get(person=lan_person)
    for who in ("an", "quan"):
        grant_give(actor=None, user=world.users[who], obj=case)
        assert access.visible_case_parts(world.users[who]) == []
        assert not access.visible_cases(world.users[who]).exists()


def test_id_lists_go_as_one_array_parameter(world: World, lan_person: Person) -> None:
    """A supervisor's ~150 communes are one parameter (``= ANY(%s)``), not one each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        list(access.visible_cases(world.users["hoa"]))
    (listed,) = [q["sql"] for q in queries.captured_queries if 'FROM "cases_case"' in q["sql"]]
    assert '"residence_commune_id" = ANY(' in listed
    assert " IN (" not in listed
