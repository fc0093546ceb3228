"""Resetting another person's password or second factor needs a second administrator, and the
account's owner is told (issue 22 item 1: the end of the known limit "an administrator can set
a caseworker's password, reset their second factor and sign in as them").

Actors: quan asks, thu (a second administrator of nobody's making) decides, lan owns the
account.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.actions import totp_device_create
from accounts.events import AccountAction
from accounts.models import TOTPDevice, User
from audit.models import Event
from cases.choices import Role
from cases.events import CaseAction
from cases.models import AccountResetRequest, StaffProfile
from cases.resets import RESET_VERB
from cases.roles import staff_profile_save
from notifications.models import Notification
from tests.conftest import World, signed_in_client
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "ngựa-đúng-pin-kẹp-9"


@pytest.fixture
def thu(world: World) -> User:
    user = make_user("thu")
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=user,
            organisation=world.orgs["social"],
            role=Role.ADMINISTRATOR,
            scope_unit=world.units["province"],
        ),
    )
    return user


def _ask(world: World, action: str) -> AccountResetRequest:
    response = world.client("quan").post(
        "/admin/accounts/user/",
        {"action": action, "_selected_action": [str(world.users["lan"].pk)]},
    )
    assert response.status_code == 302
    return AccountResetRequest.objects.get(user=world.users["lan"])


def _told(user: User) -> int:
    return Notification.objects.filter(recipient=user, verb=RESET_VERB).count()


def test_one_administrator_cannot_reset_a_second_factor_alone(world: World, thu: User) -> None:
    """ASVS 6.4.x, 8.1: quan's reset waits; quan cannot approve it (refused, logged); thu
    does; lan is told at the request and at the decision."""
    lan = world.users["lan"]
    totp_device_create(user=lan, confirmed=True)
    pending = _ask(world, "reset_second_factor")
    assert TOTPDevice.objects.filter(user=lan).exists()
    assert _told(lan) == 1
    url = reverse("cases:account_reset_decide", args=[pending.pk])
    assert world.client("quan").post(url, {"decision": "approve"}).status_code == 404
    assert Event.objects.filter(
        action=CaseAction.DENIED, actor=world.users["quan"], detail__perm="approve_account_reset"
    ).exists()
    assert TOTPDevice.objects.filter(user=lan).exists()
    listing = signed_in_client(thu).get(reverse("cases:role_request_list")).content.decode()
    assert 'data-testid="account-reset"' in listing
    assert signed_in_client(thu).post(url, {"decision": "approve"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=lan).exists()
    event = Event.objects.get(action=AccountAction.OTP_RESET)
    assert (event.actor, event.object_id) == (thu, str(lan.pk))
    assert _told(lan) == 2


def test_the_admin_password_form_is_refused_and_logged(world: World) -> None:
    """ASVS 6.4.x, 8.1: no administrator sets another person's password directly."""
    lan = world.users["lan"]
    client = world.client("quan")
    url = f"/admin/accounts/user/{lan.pk}/password/"
    assert client.get(url).status_code == 403
    response = client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 403
    lan.refresh_from_db()
    assert lan.check_password(PASSWORD)
    assert (
        Event.objects.filter(
            action=CaseAction.DENIED, actor=world.users["quan"], detail__perm="set_password"
        ).count()
        == 2
    )


def test_a_password_reset_ends_sessions_and_needs_a_new_invitation(world: World, thu: User) -> None:
    """ASVS 6.4.1, 8.1: an approved password reset leaves no password and no session; the
    new one is set through a new link and a code handed over by a second person."""
    lan = world.users["lan"]
    session = world.client("lan")
    assert session.get(reverse("cases:my_work")).status_code == 200
    pending = _ask(world, "reset_password")
    url = reverse("cases:account_reset_decide", args=[pending.pk])
    assert signed_in_client(thu).post(url, {"decision": "approve"}).status_code == 302
    lan.refresh_from_db()
    assert not lan.has_usable_password()
    assert session.get(reverse("cases:my_work")).status_code == 302  # signed out
    assert _told(lan) == 2
    link = world.client("quan").post(reverse("cases:staff_invite"), {"username": "lan"})
    path = re.search(r"/staff/welcome/[^/]+/$", link.context["link"])
    assert path
    newcomer = Client()
    assert newcomer.get(path.group(0)).status_code == 302
    invitation = lan.invitation
    code = signed_in_client(thu).post(reverse("cases:invitation_code", args=[invitation.pk]))
    done = newcomer.post(
        reverse("cases:staff_welcome"),
        {
            "code": code.context["code"],
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert done.status_code == 302
    lan.refresh_from_db()
    assert lan.check_password(NEW_PASSWORD)
