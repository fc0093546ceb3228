"""Roles are Django groups that follow the staff profile; a second role needs a flag."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from audit.choices import Action
from audit.models import Event
from cases.choices import Role
from cases.models import StaffProfile
from cases.roles import ROLE_PERMISSIONS, roles_of
from tests.conftest import World


def test_every_role_is_a_group_with_its_permissions(world: World) -> None:
    for role, names in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert granted == set(names)
    assert (
        not Group.objects.get(name=Role.AUDITOR)
        .permissions.filter(codename__in=["view_person", "view_case"])
        .exists()
    )


def test_groups_follow_the_profile(world: World) -> None:
    lan = world.users["lan"]
    assert roles_of(lan) == {Role.CASEWORKER}
    start = Event.objects.count()
    profile = lan.staff
    profile.role = Role.SUPERVISOR
    profile.save()
    lan.refresh_from_db()
    assert set(lan.groups.values_list("name", flat=True)) == {Role.SUPERVISOR}
    changes = Event.objects.filter(
        action=Action.ROLE_CHANGED, object_id=str(lan.pk), seq__gt=start
    ).order_by("seq")
    assert [e.detail for e in changes] == [
        {"removed": [Role.CASEWORKER]},
        {"added": [Role.SUPERVISOR]},
    ]


def test_only_the_administrator_is_staff(world: World) -> None:
    assert [n for n, u in world.users.items() if u.is_staff] == ["quan"]


def test_a_second_role_group_is_refused_without_the_flag(world: World) -> None:
    """ASVS 8.2.x: nobody holds two roles by accident, not even through the group picker."""
    lan = world.users["lan"]
    with pytest.raises(ValidationError), transaction.atomic():
        lan.groups.add(Group.objects.get(name=Role.AUDITOR))
    assert roles_of(lan) == {Role.CASEWORKER}
    profile = lan.staff
    profile.second_role = Role.AUDITOR
    with pytest.raises(ValidationError):
        profile.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffProfile.objects.filter(pk=profile.pk).update(second_role=Role.AUDITOR)


def test_a_second_role_with_the_flag(world: World) -> None:
    lan = world.users["lan"]
    start = Event.objects.count()
    profile = lan.staff
    profile.second_role = Role.AUDITOR
    profile.allow_second_role = True
    profile.full_clean()
    profile.save()
    lan = type(lan).objects.get(pk=lan.pk)
    assert roles_of(lan) == {Role.CASEWORKER, Role.AUDITOR}
    added = Event.objects.filter(
        action=Action.ROLE_CHANGED, object_id=str(lan.pk), seq__gt=start
    ).get()
    assert added.detail == {"added": [Role.AUDITOR]}
