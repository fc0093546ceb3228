"""Roles are Django groups that follow the staff profile; a second role needs a flag."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse

from accounts.actions import password_set
from accounts.capabilities import role_permissions, roles_of
from accounts.events import AccountAction
from audit.models import Event
from cases.choices import Role
from cases.events import CaseAction
from cases.models import RoleChangeRequest, StaffProfile
from cases.roles import staff_profile_save
from tests.conftest import World, signed_in_client


def test_every_role_is_a_group_with_its_permissions(world: World) -> None:
    for role, names in role_permissions().items():
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
    start = Event.objects.aggregate(top=Max("seq"))["top"] or 0  # events are numbered
    profile = lan.staff
    profile.role = Role.SUPERVISOR
    staff_profile_save(actor=None, profile=profile)
    lan.refresh_from_db()
    assert set(lan.groups.values_list("name", flat=True)) == {Role.SUPERVISOR}
    changes = Event.objects.filter(
        action=CaseAction.ROLE_CHANGED, object_id=str(lan.pk), seq__gt=start
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
    start = Event.objects.aggregate(top=Max("seq"))["top"] or 0  # events are numbered
    profile = lan.staff
    profile.second_role = Role.AUDITOR
    profile.allow_second_role = True
    staff_profile_save(actor=None, profile=profile)
    lan = type(lan).objects.get(pk=lan.pk)
    assert roles_of(lan) == {Role.CASEWORKER, Role.AUDITOR}
    added = Event.objects.filter(
        action=CaseAction.ROLE_CHANGED, object_id=str(lan.pk), seq__gt=start
    ).get()
    assert added.detail == {"added": [Role.AUDITOR]}


def test_an_administrator_cannot_give_themselves_a_role(world: World) -> None:
    """ASVS 8.2.x: the administrator manages staff but cannot make themselves a caseworker."""
    quan = world.users["quan"]
    client = signed_in_client(quan)
    own = StaffProfile.objects.get(user=quan)
    url = f"/admin/cases/staffprofile/{own.pk}/change/"
    data = {
        "user": str(quan.pk),
        "organisation": str(own.organisation_id),
        "role": Role.CASEWORKER,
        "second_role": "",
        "scope_unit": str(own.scope_unit_id),
    }
    assert client.post(url, data).status_code == 403
    own.refresh_from_db()
    assert own.role == Role.ADMINISTRATOR
    # Another person's profile is theirs to manage; a new content role waits for a second
    # person (dual control), then the change is recorded.
    lan_profile = StaffProfile.objects.get(user=world.users["lan"])
    data = {
        "user": str(world.users["lan"].pk),
        "organisation": str(lan_profile.organisation_id),
        "role": Role.COMMUNE_OFFICER,
        "second_role": "",
        "scope_unit": str(world.units["c1"].pk),
    }
    response = client.post(f"/admin/cases/staffprofile/{lan_profile.pk}/change/", data)
    assert response.status_code == 302
    lan_profile.refresh_from_db()
    assert lan_profile.role == Role.CASEWORKER  # not yet
    pending = RoleChangeRequest.objects.get(user=world.users["lan"])
    hoa = world.client("hoa")
    decide = reverse("cases:role_request_decide", args=[pending.pk])
    assert hoa.post(decide, {"decision": "approve", "confirm": "on"}).status_code == 302
    lan_profile.refresh_from_db()
    assert lan_profile.role == Role.COMMUNE_OFFICER
    change = Event.objects.filter(
        action=CaseAction.ROLE_CHANGED, object_id=str(lan_profile.user_id)
    )
    # The new scope, the caseworker role removed, the commune officer role added.
    details = [e.detail for e in change.filter(actor=world.users["hoa"]).order_by("seq")]
    assert details[0]["scope_unit"] == [world.units["d1"].pk, world.units["c1"].pk]
    assert details[1:] == [{"removed": [Role.CASEWORKER]}, {"added": [Role.COMMUNE_OFFICER]}]


def test_a_password_change_is_an_event(world: World) -> None:
    lan = world.users["lan"]
    password_set(actor=lan, user=lan, password="another-long-passphrase-2026")
    event = Event.objects.get(action=AccountAction.PASSWORD_CHANGED)
    assert event.object_id == str(lan.pk)
    lan.first_name = "Lan"
    lan.save()
    assert Event.objects.filter(action=AccountAction.PASSWORD_CHANGED).count() == 1
