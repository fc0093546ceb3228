"""A user's reach (scope units, organisations, grants) is resolved once per request, safely.

``cases.access`` keeps the resolved sets on the request object: a page that asks several
times (the record, its cases, each "may I edit") reads them once. The cache must never serve
another user, never outlive its request, and never keep a grant that was taken (or miss one
that was given) earlier in the same request.

ASVS 8.2.2 (data-level access), 8.3.1 (enforced at one server-side point, on fresh state).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.http import Http404
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from audit import context
from audit.models import Event
from cases import access
from cases.events import CaseAction
from cases.models import (
    AdministrativeUnit,
    CaseUserObjectPermission,
    Person,
    PersonUserObjectPermission,
)
from cases.roles import grant_give, grant_revoke
from tests.conftest import World


def _request() -> Any:
    """Bind a fresh request, as the middleware does for each one."""
    return context.bound(context.RequestContext(request=RequestFactory().get("/")))


def _reach_reads(queries: CaptureQueriesContext) -> int:
    grant_table = CaseUserObjectPermission._meta.db_table
    return sum(grant_table in q["sql"] for q in queries.captured_queries)


def _denials(user: Any, person: Person) -> int:
    return Event.objects.filter(
        actor=user, action=CaseAction.DENIED, object_id=str(person.pk)
    ).count()


def test_the_reach_is_read_once_per_request(world: World, lan_person: Person) -> None:
    minh = world.users["minh"]
    with _request(), CaptureQueriesContext(connection) as queries:
        access.get_person_for_user(minh, lan_person.pk)
        list(access.visible_cases(minh).filter(person=lan_person))
        list(access.visible_people(minh, "change"))
    assert _reach_reads(queries) == 1


def test_outside_a_request_nothing_is_kept(world: World, lan_person: Person) -> None:
    minh = world.users["minh"]
    with CaptureQueriesContext(connection) as queries:
        list(access.visible_people(minh))
        list(access.visible_people(minh))
    assert _reach_reads(queries) == 2


def test_a_grant_taken_mid_request_stops_at_once(world: World, tuan_person: Person) -> None:
    """ASVS 8.2.2: a revoked grant reaches nothing later in the same request, and the refusal
    is recorded."""
    lan = world.users["lan"]
    grant_give(actor=None, user=lan, obj=tuan_person)
    with _request():
        assert access.get_person_for_user(lan, tuan_person.pk) == tuan_person
        grant_revoke(actor=None, user=lan, obj=tuan_person, scope="view")
        assert tuan_person not in access.visible_people(lan)
        with pytest.raises(Http404):
            access.get_person_for_user(lan, tuan_person.pk)
    assert _denials(lan, tuan_person) == 1


def test_a_grant_given_mid_request_counts_at_once(world: World, tuan_person: Person) -> None:
    lan = world.users["lan"]
    with _request():
        assert tuan_person not in access.visible_people(lan)
        grant_give(actor=None, user=lan, obj=tuan_person)
        assert access.get_person_for_user(lan, tuan_person.pk) == tuan_person


def test_one_users_reach_never_serves_another(world: World, tuan_person: Person) -> None:
    """ASVS 8.2.2: in one request, a second user's lookups use the second user's reach; the
    refusal is recorded for that user."""
    lan, tuan, mai = world.users["lan"], world.users["tuan"], world.users["mai"]
    grant_give(actor=None, user=lan, obj=tuan_person)
    with _request():
        assert tuan_person in access.visible_people(lan)
        assert tuan_person in access.visible_people(tuan)  # tuan's own clinic
        with pytest.raises(Http404):
            access.get_person_for_user(mai, tuan_person.pk)  # lan's teammate, no grant
    assert _denials(mai, tuan_person) == 1


def test_the_reach_never_outlives_its_request(world: World, tuan_person: Person) -> None:
    """A grant written where this process's signals do not see it (another server, a bulk
    write) counts from the next request on."""
    lan = world.users["lan"]
    with _request():
        assert tuan_person not in access.visible_people(lan)
    view_person = Permission.objects.get(content_type__app_label="cases", codename="view_person")
    PersonUserObjectPermission.objects.bulk_create(
        [PersonUserObjectPermission(user=lan, permission=view_person, content_object=tuan_person)]
    )
    with _request():
        assert tuan_person in access.visible_people(lan)


def test_the_reach_reads_only_the_sets_the_roles_use(world: World) -> None:
    """A caseworker's rules compare organisation and assignee: no unit subtree is read."""
    unit_table = f'"{AdministrativeUnit._meta.db_table}" u'
    for who, reads_units in (("lan", False), ("minh", True), ("hoa", True)):
        with CaptureQueriesContext(connection) as queries:
            list(access.visible_people(world.users[who]))
        (reach,) = [q["sql"] for q in queries.captured_queries if "UNION ALL" in q["sql"]]
        assert (unit_table in reach) is reads_units, who
