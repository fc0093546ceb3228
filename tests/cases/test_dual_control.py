"""Dual control: a role change that opens case content or widens scope needs a second person."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.capabilities import roles_of
from accounts.events import AccountAction
from accounts.models import User
from audit.models import Event
from audit.selectors import unusual_activity
from cases.choices import Role
from cases.events import CaseAction
from cases.models import RoleChangeRequest, StaffProfile
from cases.roles import role_request_decide, staff_profile_save
from tests.conftest import World, signed_in_client
from tests.factories import make_user


def _admin_creates_caseworker(world: World) -> tuple[User, RoleChangeRequest | None]:
    """quan, alone, creates an account and gives it a caseworker profile at clinic A."""
    quan = world.users["quan"]
    client = signed_in_client(quan)
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "moi",
            "password1": "a-long-new-passphrase-7",
            "password2": "a-long-new-passphrase-7",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    moi = type(quan).objects.get(username="moi")
    response = client.post(
        "/admin/cases/staffprofile/add/",
        {
            "user": str(moi.pk),
            "organisation": str(world.orgs["clinic_a"].pk),
            "role": Role.CASEWORKER,
            "second_role": "",
            "scope_unit": str(world.units["d1"].pk),
        },
    )
    assert response.status_code == 302
    return moi, RoleChangeRequest.objects.filter(user=moi).first()


def test_one_administrator_alone_cannot_open_case_content(world: World) -> None:
    """ASVS 8.1.x / 1.2 dual control: an administrator creates an account with a caseworker
    profile; it holds no role (and no case content) until a second person approves."""
    moi, pending = _admin_creates_caseworker(world)
    assert pending is not None and pending.status == RoleChangeRequest.Status.PENDING
    assert not StaffProfile.objects.filter(user=moi).exists()
    assert roles_of(moi) == frozenset()
    created = Event.objects.get(action=AccountAction.ACCOUNT_CREATED)
    assert (created.actor, created.object_id) == (world.users["quan"], str(moi.pk))
    requested = Event.objects.get(action=CaseAction.ROLE_CHANGE_REQUESTED)
    assert requested.actor == world.users["quan"]
    # Signing in as the new account reaches no case page.
    assert signed_in_client(moi).get(reverse("cases:case_list")).status_code == 403


def test_the_requester_and_the_grantee_cannot_approve(world: World) -> None:
    moi, pending = _admin_creates_caseworker(world)
    assert pending is not None
    with pytest.raises(PermissionDenied):
        role_request_decide(actor=world.users["quan"], request=pending, approve=True)
    denied = Event.objects.filter(action=CaseAction.DENIED, actor=world.users["quan"])
    assert denied.filter(detail__perm="approve_role_change").exists()
    # Refused on the page too, and logged.
    client = signed_in_client(world.users["quan"])
    url = reverse("cases:role_request_decide", args=[pending.pk])
    assert client.post(url, {"decision": "approve"}).status_code == 404
    pending.refresh_from_db()
    assert pending.status == RoleChangeRequest.Status.PENDING


def test_a_supervisor_of_another_scope_cannot_approve(world: World) -> None:
    _moi, pending = _admin_creates_caseworker(world)
    assert pending is not None
    outsider = make_user("giamsat")
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=outsider,
            organisation=world.orgs["clinic_b"],
            role=Role.SUPERVISOR,
            scope_unit=world.units["d2"],
        ),
    )
    with pytest.raises(PermissionDenied):
        role_request_decide(actor=outsider, request=pending, approve=True)


def test_a_supervisor_of_the_scope_approves_and_it_takes_effect(world: World) -> None:
    moi, pending = _admin_creates_caseworker(world)
    assert pending is not None
    hoa = world.client("hoa")
    listing = hoa.get(reverse("cases:role_request_list"))
    assert 'data-testid="role-request"' in listing.content.decode()
    response = hoa.post(
        reverse("cases:role_request_decide", args=[pending.pk]),
        {"decision": "approve", "confirm": "on"},
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == RoleChangeRequest.Status.APPROVED
    assert pending.decided_by == world.users["hoa"]
    moi = type(moi).objects.get(pk=moi.pk)
    assert roles_of(moi) == {Role.CASEWORKER}
    assert Event.objects.filter(action=CaseAction.ROLE_CHANGE_APPROVED).count() == 1
    # A second decision on the same request is refused.
    again = hoa.post(
        reverse("cases:role_request_decide", args=[pending.pk]),
        {"decision": "reject", "reason": "đã duyệt rồi"},
    )
    assert again.status_code == 302
    pending.refresh_from_db()
    assert pending.status == RoleChangeRequest.Status.APPROVED


def test_narrowing_needs_no_approval(world: World) -> None:
    """A change that takes nothing new (a smaller scope) applies at once, and is recorded."""
    profile = StaffProfile.objects.get(user=world.users["lan"])
    profile.scope_unit = world.units["c1"]
    _saved, pending = staff_profile_save(actor=world.users["quan"], profile=profile)
    assert pending is None
    profile.refresh_from_db()
    assert profile.scope_unit == world.units["c1"]


@pytest.mark.parametrize("change", ["organisation", "scope", "role"])
def test_widening_needs_approval(world: World, change: str) -> None:
    profile = StaffProfile.objects.get(user=world.users["lan"])
    if change == "organisation":
        profile.organisation = world.orgs["clinic_b"]
    elif change == "scope":
        profile.scope_unit = world.units["province"]
    else:
        profile.role = Role.SUPERVISOR
    _saved, pending = staff_profile_save(actor=world.users["quan"], profile=profile)
    assert pending is not None
    profile.refresh_from_db()
    assert (profile.organisation, profile.scope_unit, profile.role) == (
        world.orgs["clinic_a"],
        world.units["d1"],
        Role.CASEWORKER,
    )


def test_unusual_activity_flags_new_accounts_with_case_roles_and_role_changes(
    world: World,
) -> None:
    moi, pending = _admin_creates_caseworker(world)
    assert pending is not None
    role_request_decide(actor=world.users["hoa"], request=pending, approve=True)
    flags = unusual_activity(viewer=world.users["an"])
    kinds = {(f.kind, f.subject) for f in flags}
    assert ("new_account_case_role", moi.username) in kinds
    page = world.client("an").get(reverse("audit:unusual_activity"))
    assert 'data-flag="new_account_case_role"' in page.content.decode()
