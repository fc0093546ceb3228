"""Reactivating an account that opens case content needs a second administrator (issue 22,
item 5: a change that widens anyone's reach needs the second person like a role change).

Deactivating narrows reach and applies at once; reactivating gives the account's access back,
so for a role that opens case records or approves roles it waits as a sign-in reset does
(``AccountResetRequest`` of kind "reactivate", decided on the approvals page by another
administrator outside the requester's chain), while the rest of the admin edit saves at once.

Actors: quan asks, thu (a second administrator of nobody's making) decides, lan (caseworker)
owns the account.
"""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from accounts.actions import user_save
from accounts.events import AccountAction
from accounts.models import User
from audit.models import Event
from cases.choices import Role
from cases.events import CaseAction
from cases.models import AccountResetRequest, StaffProfile
from cases.resets import RESET_VERB, ResetAction
from cases.roles import staff_profile_save
from notifications.models import Notification
from tests.cases.test_directory_admin import admin_form, second_admin
from tests.conftest import World, signed_in_client
from tests.factories import make_user

KIND = "reactivate"


def _deactivated(user: User) -> User:
    User.objects.filter(pk=user.pk).update(is_active=False)
    return User.objects.get(pk=user.pk)


def _reactivate_in_admin(client: Client, user: User, **changes: str) -> None:
    url = reverse("admin:accounts_user_change", args=[user.pk])
    data = admin_form(client, url) | {"is_active": "on"} | changes
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def _told(user: User) -> int:
    return Notification.objects.filter(recipient=user, verb=RESET_VERB).count()


def _denied(actor: User) -> int:
    return Event.objects.filter(
        action=CaseAction.DENIED, actor=actor, detail__perm="approve_account_reset"
    ).count()


def test_reactivating_a_caseworker_in_the_admin_waits_for_a_second_administrator(
    world: World,
) -> None:
    """ASVS 8.2.1, 8.1 / 1.2 (issue 22 item 5): quan ticks "active" on lan's deactivated
    account; lan stays inactive, the rest of the edit is saved, a pending request and an
    event are recorded and lan is told. quan cannot approve it (refused, logged); thu can."""
    quan, lan = world.users["quan"], _deactivated(world.users["lan"])
    thu = second_admin(world)
    _reactivate_in_admin(world.client("quan"), lan, first_name="Thị Lan")
    lan.refresh_from_db()
    assert not lan.is_active
    assert lan.first_name == "Thị Lan"  # the rest of the edit saved at once
    pending = AccountResetRequest.objects.get(user=lan, kind=KIND)
    assert (pending.status, pending.requested_by) == ("pending", quan)
    asked = Event.objects.get(action=ResetAction.REQUESTED, object_id=str(lan.pk))
    assert asked.actor == quan and asked.detail["kind"] == KIND
    changed = Event.objects.get(action=AccountAction.USER_CHANGED, object_id=str(lan.pk))
    assert changed.detail["fields"] == ["first_name"]
    assert _told(lan) == 1

    url = reverse("cases:account_reset_decide", args=[pending.pk])
    assert world.client("quan").post(url, {"decision": "approve"}).status_code == 404
    assert _denied(quan) == 1
    lan.refresh_from_db()
    assert not lan.is_active
    listing = signed_in_client(thu).get(reverse("cases:role_request_list")).content.decode()
    assert 'data-testid="account-reset"' in listing
    assert signed_in_client(thu).post(url, {"decision": "approve"}).status_code == 302
    lan.refresh_from_db()
    assert lan.is_active
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by) == ("approved", thu)
    assert Event.objects.filter(
        action=ResetAction.APPROVED, actor=thu, object_id=str(lan.pk), detail__kind=KIND
    ).exists()
    assert _told(lan) == 2


def test_an_account_of_the_requesters_chain_cannot_approve_a_reactivation(world: World) -> None:
    """ASVS 8.2.1, 8.1 / 1.2: an administrator account quan made (and may hold) cannot approve
    quan's reactivation of lan: refused and logged; lan stays inactive."""
    quan, lan = world.users["quan"], _deactivated(world.users["lan"])
    quan2 = make_user("quan2")
    User.objects.filter(pk=quan2.pk).update(created_by=quan)
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=quan2,
            organisation=world.orgs["social"],
            role=Role.ADMINISTRATOR,
            scope_unit=world.units["province"],
        ),
    )
    _reactivate_in_admin(world.client("quan"), lan)
    pending = AccountResetRequest.objects.get(user=lan, kind=KIND)
    url = reverse("cases:account_reset_decide", args=[pending.pk])
    as_quan2 = signed_in_client(User.objects.get(pk=quan2.pk))
    assert str(pending.pk) not in as_quan2.get(reverse("cases:role_request_list")).content.decode()
    assert as_quan2.post(url, {"decision": "approve"}).status_code == 404
    assert _denied(quan2) == 1
    lan.refresh_from_db()
    assert not lan.is_active
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_a_second_reactivation_while_one_waits_asks_no_second_time(world: World) -> None:
    """Saving the form again while the request waits leaves the one request."""
    lan = _deactivated(world.users["lan"])
    _reactivate_in_admin(world.client("quan"), lan)
    _reactivate_in_admin(world.client("quan"), User.objects.get(pk=lan.pk))
    assert AccountResetRequest.objects.filter(user=lan, kind=KIND).count() == 1
    assert not User.objects.get(pk=lan.pk).is_active


def test_reactivating_an_account_without_a_guarded_role_applies_at_once(world: World) -> None:
    """An account with no role that opens case content or approves roles widens nobody's
    reach: it is active again at once, with its event, and nothing waits."""
    guest = _deactivated(make_user("khach"))
    _reactivate_in_admin(world.client("quan"), guest)
    guest.refresh_from_db()
    assert guest.is_active
    assert not AccountResetRequest.objects.filter(user=guest).exists()
    event = Event.objects.get(action=AccountAction.USER_CHANGED, object_id=str(guest.pk))
    assert event.detail["fields"] == ["is_active"]


def test_a_profile_naming_a_guarded_role_is_enough_to_wait(world: World) -> None:
    """The profile names the role even when the role groups are gone: still guarded."""
    lan = _deactivated(world.users["lan"])
    lan.groups.clear()
    lan.is_active = True
    user_save(actor=world.users["quan"], user=lan)
    assert not User.objects.get(pk=lan.pk).is_active
    assert AccountResetRequest.objects.filter(user=lan, kind=KIND).exists()


def test_the_system_reactivates_directly(world: World) -> None:
    """``actor=None`` (a command on the server) applies directly, as for role changes."""
    lan = _deactivated(world.users["lan"])
    lan.is_active = True
    user_save(actor=None, user=lan)
    assert User.objects.get(pk=lan.pk).is_active
    assert not AccountResetRequest.objects.exists()


def test_the_invitation_page_says_how_long_the_link_lasts(world: World, settings: object) -> None:
    """The staff-created page follows INVITATION_HOURS instead of a fixed "3 days"."""
    settings.INVITATION_HOURS = 48  # type: ignore[attr-defined]
    form = {
        "username": "thanh",
        "full_name": "Nguyễn Văn Thành",
        "email": "",
        "organisation": str(world.orgs["clinic_a"].pk),
        "role": Role.CASEWORKER,
        "second_role": "",
        "scope_unit": str(world.units["d1"].pk),
    }
    response = world.client("quan").post(reverse("cases:staff_create"), form)
    assert response.status_code == 200
    text = response.content.decode()
    assert "trong vòng 48 giờ" in text  # the Vietnamese page
    assert "3 days" not in text and "3 ngày" not in text
