"""Dual control cannot be beaten by one person holding several accounts (issue 22, items 1, 4).

The attack played here through the real views, with the password and the second factor:
quan, the only administrator, mints a second administrator, takes it over, and tries to use
it to approve his own request that gives a third account a caseworker role. Every step that
should be refused is refused and leaves a ``denied`` event; no account of his reaches a case.
"""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from accounts import totp
from accounts.capabilities import roles_of
from accounts.models import TOTPDevice, User
from audit.models import Event
from cases.choices import Role
from cases.events import CaseAction
from cases.models import Person, RoleChangeRequest, StaffProfile
from cases.roles import role_request_decide, staff_profile_save
from tests.accounts.support import password_login
from tests.conftest import World, signed_in_client
from tests.factories import make_case, make_person, make_user

PASSPHRASE = "một-mật-khẩu-dài-đủ-9"


def _form(
    world: World, username: str, role: str, org: str = "clinic_a", unit: str = "d1"
) -> dict[str, str]:
    return {
        "username": username,
        "full_name": f"Người {username}",
        "email": "",
        "organisation": str(world.orgs[org].pk),
        "role": role,
        "second_role": "",
        "scope_unit": str(world.units[unit].pk),
    }


def _sign_in_with_second_factor(username: str, password: str) -> Client:
    """Sign in through the login page and enrol an authenticator through the enrolment page."""
    client = Client()
    assert password_login(client, username, password).status_code == 302
    assert client.get(reverse("accounts:otp_enrol")).status_code == 200
    secret = TOTPDevice.objects.get(user__username=username, confirmed=False).secret
    done = client.post(reverse("accounts:otp_enrol"), {"token": totp.code(secret)})
    assert done.status_code == 200 and client.session.get("otp_device_id")
    return client


def _denied(actor: User, perm: str) -> int:
    return Event.objects.filter(action=CaseAction.DENIED, actor=actor, detail__perm=perm).count()


def test_a_new_administrator_waits_for_a_second_person(world: World) -> None:
    """ASVS 8.1 / 1.2 (issue 22 item 1): a role that approves or creates roles is itself a
    grant that needs a second, different person; before, it took effect at once."""
    response = world.client("quan").post(
        reverse("cases:staff_create"),
        _form(world, "quan2", Role.ADMINISTRATOR, "social", "province"),
    )
    assert response.status_code == 200
    quan2 = User.objects.get(username="quan2")
    assert roles_of(quan2) == frozenset()
    assert not quan2.is_staff
    pending = RoleChangeRequest.objects.get(user=quan2)
    assert pending.role == Role.ADMINISTRATOR and pending.requested_by == world.users["quan"]
    assert quan2.created_by == world.users["quan"]


def test_one_person_with_any_number_of_accounts_never_approves_their_own_request(
    world: World,
) -> None:
    """ASVS 8.1 / 1.2, 6.4.1 (issue 22 item 1): the whole attack, step by step.

    quan mints a second administrator through the admin with a password he chose (the
    strongest hold he can get on it), a fooled colleague (thu) approves its role, and quan
    signs in as it with the second factor. His own request for a third account's caseworker
    role stays out of its reach, and so does every request of an account he made; the new
    account's activation code cannot be shown to him or his accounts."""
    quan = world.users["quan"]
    thu = make_user("thu")
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=thu,
            organisation=world.orgs["social"],
            role=Role.ADMINISTRATOR,
            scope_unit=world.units["province"],
        ),
    )
    admin = world.client("quan")
    # 1. The second administrator, with a password quan knows.
    added = admin.post(
        "/admin/accounts/user/add/",
        {
            "username": "quan2",
            "password1": PASSPHRASE,
            "password2": PASSPHRASE,
            "usable_password": "true",
        },
    )
    assert added.status_code == 302
    quan2 = User.objects.get(username="quan2")
    assert quan2.created_by == quan
    profile = admin.post(
        "/admin/cases/staffprofile/add/",
        {
            "user": str(quan2.pk),
            "organisation": str(world.orgs["social"].pk),
            "role": Role.ADMINISTRATOR,
            "second_role": "",
            "scope_unit": str(world.units["province"].pk),
        },
    )
    assert profile.status_code == 302
    assert roles_of(User.objects.get(pk=quan2.pk)) == frozenset()  # waits, not at once
    grant = RoleChangeRequest.objects.get(user=quan2)
    # quan cannot approve it himself.
    decide = reverse("cases:role_request_decide", args=[grant.pk])
    assert admin.post(decide, {"decision": "approve", "confirm": "on"}).status_code == 404
    assert _denied(quan, "approve_role_change") == 1
    # thu, fooled, approves; quan now signs in as quan2 with the second factor.
    assert (
        signed_in_client(thu).post(decide, {"decision": "approve", "confirm": "on"}).status_code
        == 302
    )
    as_quan2 = _sign_in_with_second_factor("quan2", PASSPHRASE)
    assert roles_of(User.objects.get(pk=quan2.pk)) == {Role.ADMINISTRATOR}

    # 2. quan's own request: a caseworker role for a third account.
    created = admin.post(reverse("cases:staff_create"), _form(world, "ba", Role.CASEWORKER))
    assert created.status_code == 200
    ba = User.objects.get(username="ba")
    own = RoleChangeRequest.objects.get(user=ba)
    listing = as_quan2.get(reverse("cases:role_request_list")).content.decode()
    assert str(own.pk) not in listing and "ba" not in re.findall(r"\((\w+)\)", listing)
    own_url = reverse("cases:role_request_decide", args=[own.pk])
    assert as_quan2.post(own_url, {"decision": "approve", "confirm": "on"}).status_code == 404
    assert _denied(quan2, "approve_role_change") == 1
    # Nor through the action itself.
    try:
        role_request_decide(actor=quan2, request=own, approve=True)
    except Exception as refused:  # PermissionDenied
        assert type(refused).__name__ == "PermissionDenied"
    else:
        raise AssertionError("quan2 approved quan's request")
    assert _denied(quan2, "approve_role_change") == 2
    # quan2's activation code for ba: refused too (ba's link came from quan).
    invitation = ba.invitation
    code_url = reverse("cases:invitation_code", args=[invitation.pk])
    assert as_quan2.post(code_url).status_code == 404
    assert admin.post(code_url).status_code == 404
    assert _denied(quan2, "hand_over_activation_code") == 1
    assert _denied(quan, "hand_over_activation_code") == 1

    # 3. The other way round: quan2 asks, quan approves. Refused as well.
    as_quan2.post(reverse("cases:staff_create"), _form(world, "bon", Role.CASEWORKER))
    theirs = RoleChangeRequest.objects.get(user__username="bon")
    theirs_url = reverse("cases:role_request_decide", args=[theirs.pk])
    assert admin.post(theirs_url, {"decision": "approve", "confirm": "on"}).status_code == 404
    assert _denied(quan, "approve_role_change") == 2

    # 4. A third account of quan's (made by quan2) cannot approve quan's request either.
    as_quan2.post(
        "/admin/accounts/user/add/",
        {
            "username": "quan3",
            "password1": PASSPHRASE,
            "password2": PASSPHRASE,
            "usable_password": "true",
        },
    )
    quan3 = User.objects.get(username="quan3")
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=quan3,
            organisation=world.orgs["social"],
            role=Role.SUPERVISOR,
            scope_unit=world.units["province"],
        ),
    )
    as_quan3 = _sign_in_with_second_factor("quan3", PASSPHRASE)
    assert as_quan3.post(own_url, {"decision": "approve", "confirm": "on"}).status_code == 404
    assert as_quan3.post(theirs_url, {"decision": "approve", "confirm": "on"}).status_code == 404
    assert _denied(quan3, "approve_role_change") == 2

    # Nothing was approved: no account of quan's reaches a case.
    own.refresh_from_db()
    theirs.refresh_from_db()
    assert own.status == theirs.status == RoleChangeRequest.Status.PENDING
    assert roles_of(User.objects.get(pk=ba.pk)) == frozenset()
    for client in (admin, as_quan2):
        assert client.get(reverse("cases:case_list")).status_code == 403
    # thu, a second person, still can.
    assert (
        signed_in_client(thu).post(own_url, {"decision": "approve", "confirm": "on"}).status_code
        == 302
    )


def test_a_district_supervisor_cannot_approve_a_province_wide_organisation(
    world: World,
) -> None:
    """ASVS 8.2.1 (issue 22 item 4): the approver must cover the organisation's unit as well
    as the requested scope; a caseworker of a province-wide office sees its cases anywhere."""
    giam = make_user("giam")
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=giam,
            organisation=world.orgs["clinic_a"],
            role=Role.SUPERVISOR,
            scope_unit=world.units["d1"],
        ),
    )
    for n in range(3):  # the office's cases outside district 981
        person: Person = make_person(
            full_name=f"Nạn Nhân {n}",
            residence_commune=world.units["c3"],
            registered_by=world.orgs["social"],
        )
        make_case(person=person, organisation=world.orgs["social"])
    world.client("quan").post(
        reverse("cases:staff_create"), _form(world, "moi", Role.CASEWORKER, "social", "d1")
    )
    pending = RoleChangeRequest.objects.get(user__username="moi")
    client = signed_in_client(giam)
    assert str(pending.pk) not in client.get(reverse("cases:role_request_list")).content.decode()
    url = reverse("cases:role_request_decide", args=[pending.pk])
    assert client.post(url, {"decision": "approve", "confirm": "on"}).status_code == 404
    assert _denied(giam, "approve_role_change") == 1
    pending.refresh_from_db()
    assert pending.status == RoleChangeRequest.Status.PENDING
    # hoa, whose scope is the province, covers both.
    assert (
        world.client("hoa").post(url, {"decision": "approve", "confirm": "on"}).status_code == 302
    )


def test_an_account_activated_with_a_second_persons_code_is_a_person_of_its_own(
    world: World,
) -> None:
    """ASVS 8.1: an administrator quan created, but who set their password with the code thu
    handed over, is not quan's to hold: they may approve quan's requests (no deadlock when
    one administrator made everyone), while before activation they may not."""
    thu = make_user("thu")
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=thu,
            organisation=world.orgs["social"],
            role=Role.ADMINISTRATOR,
            scope_unit=world.units["province"],
        ),
    )
    admin = world.client("quan")
    created = admin.post(
        reverse("cases:staff_create"),
        _form(world, "quan2", Role.ADMINISTRATOR, "social", "province"),
    )
    role = RoleChangeRequest.objects.get(user__username="quan2")
    decide = reverse("cases:role_request_decide", args=[role.pk])
    assert (
        signed_in_client(thu).post(decide, {"decision": "approve", "confirm": "on"}).status_code
        == 302
    )
    quan2 = User.objects.get(username="quan2")
    admin.post(reverse("cases:staff_create"), _form(world, "ba", Role.CASEWORKER))
    own = reverse(
        "cases:role_request_decide", args=[RoleChangeRequest.objects.get(user__username="ba").pk]
    )
    # Not yet activated: quan may hold quan2, so quan2 cannot approve quan's request.
    assert (
        signed_in_client(quan2).post(own, {"decision": "approve", "confirm": "on"}).status_code
        == 404
    )
    # The newcomer opens the link, thu hands over the code in person, the password is set.
    newcomer = Client()
    link = re.search(r"/staff/welcome/[^/]+/$", created.context["link"])
    assert link and newcomer.get(link.group(0)).status_code == 302
    shown = signed_in_client(thu).post(reverse("cases:invitation_code", args=[quan2.invitation.pk]))
    done = newcomer.post(
        reverse("cases:staff_welcome"),
        {"code": shown.context["code"], "new_password1": PASSPHRASE, "new_password2": PASSPHRASE},
    )
    assert done.status_code == 302
    assert User.objects.get(username="quan2").check_password(PASSPHRASE)
    as_quan2 = signed_in_client(User.objects.get(username="quan2"))
    assert as_quan2.post(own, {"decision": "approve", "confirm": "on"}).status_code == 302
    assert roles_of(User.objects.get(username="ba")) == {Role.CASEWORKER}
