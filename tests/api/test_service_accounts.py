"""API clients' service accounts are machines: in no list of people, never invited, and
revoking the client ends the account (issue 32, decision D62)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse

from accounts.events import AccountAction
from accounts.models import Invitation, User
from api import actions
from api.events import ApiAction
from appointments.actions import staff_choices
from audit.models import Event
from cases import access
from cases.models import CaseClosure, Organisation, Person
from cases.moves import _recipients
from cases.staff import staff_users
from notifications.models import Notification
from programme.selectors import staff_for
from referrals.models import Referral
from referrals.selectors import reviewers_of, staff_of
from services.officers import postrehab_officers
from tests.api.support import call, make_client
from tests.cases.test_case_closure import _ask, _case
from tests.conftest import World, signed_in_client

pytestmark = pytest.mark.django_db


def _machines(world: World) -> dict[str, User]:
    """One approved client of each role a client may hold, in the same places as people."""
    return {
        role: make_client(world, f"bo-{role.replace('_', '-')}", role=role)[0].account
        for role in ("caseworker", "commune_officer", "supervisor")
    }


def test_a_client_s_account_is_a_service_account_and_people_s_are_not(world: World) -> None:
    client, _token = make_client(world)
    assert User.objects.get(pk=client.account.pk).is_service_account
    assert not User.objects.filter(pk__in=[u.pk for u in world.users.values()]).filter(
        is_service_account=True
    )


def test_the_staff_list_shows_people_only(world: World) -> None:
    """The administrator's staff list names no client account (they have /api-clients/)."""
    machines = _machines(world)
    page = world.client("quan").get(reverse("cases:staff_list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert world.users["mai"].username in html
    for account in machines.values():
        assert account.username not in html
    assert not set(staff_users()) & set(machines.values())


def test_no_list_of_people_to_pick_or_tell_holds_a_service_account(
    world: World, lan_person: Person
) -> None:
    """Assignees (cases, plans, services, appointments), post-rehab officers, the programme's
    staff, a referral's receivers and reviewers, a move's new officers: people only, though
    each client holds the role and place that would put it there."""
    machines = _machines(world)
    users = world.users
    clinic_a = Organisation.objects.filter(pk=world.orgs["clinic_a"].pk)
    assert set(access.assignable_staff(clinic_a)) == {users["lan"], users["mai"]}
    assert set(staff_choices(users["lan"])) == {users["lan"], users["mai"]}
    assert list(postrehab_officers(lan_person.cases.get())) == [users["minh"]]
    assert not set(staff_for(users["hoa"])) & set(machines.values())
    assert staff_of(world.orgs["commune_x"].pk) == [users["minh"]]
    assert reviewers_of(Referral(from_organisation=world.orgs["clinic_a"])) == [users["hoa"]]
    assert [user for user in _recipients(world.units["c1"])] == [users["minh"]]


def test_a_waiting_closing_is_told_to_people_only(world: World, lan_person: Person) -> None:
    """A supervisor client of the province may see the request, but is no one to tell."""
    machine = _machines(world)["supervisor"]
    assert _ask(world, _case(lan_person)).status_code == 302
    row = CaseClosure.objects.get()
    assert access.closure_deciders(row) == [world.users["hoa"]]
    assert not Notification.objects.filter(recipient=machine).exists()


def test_inviting_a_service_account_is_refused_and_recorded(world: World) -> None:
    """ASVS 6.4.1: an administrator posting the staff list's invitation button for a client's
    account gets no link (a password would let a person sign in as the machine); the attempt
    is a denial event."""
    client, _token = make_client(world)
    account = client.account
    browser = world.client("quan")
    response = browser.post(reverse("cases:staff_invite"), {"username": account.username})
    assert response.status_code == 302
    assert not Invitation.objects.filter(user=account).exists()
    denied = Event.objects.filter(action="denied", actor=world.users["quan"])
    assert [(e.object_id, e.detail["perm"]) for e in denied] == [
        (str(account.pk), "invite_service_account")
    ]


def test_revoking_a_client_deactivates_its_account(world: World) -> None:
    """ASVS 7.4.2: after revocation the account has no session left, its token is refused,
    and the deactivation is an event of its own beside the revocation."""
    client, token = make_client(world)
    account = client.account
    session = signed_in_client(account)  # however a session came to exist, it ends
    assert session.get(reverse("cases:my_work")).status_code == 200
    actions.api_client_revoke(actor=world.users["quan"], client=client)
    account.refresh_from_db()
    assert not account.is_active
    gone = session.get(reverse("cases:my_work"))
    assert gone.status_code == 302 and gone["Location"].startswith(reverse("login"))
    assert call("get", "/api/v1/changes", token).status_code == 401
    changed = Event.objects.filter(action=AccountAction.USER_CHANGED, object_id=str(account.pk))
    assert [(e.actor, e.detail["fields"]) for e in changed] == [
        (world.users["quan"], ["is_active"])
    ]
    assert Event.objects.filter(action=ApiAction.CLIENT_REVOKED).count() == 1
    # Revoking again changes nothing and records nothing more.
    actions.api_client_revoke(actor=world.users["quan"], client=client)
    assert changed.count() == 1


def test_a_service_account_responsible_for_overdue_work_is_not_reminded(
    world: World, lan_person: Person
) -> None:
    """Work left on a client's account (written before D62, or by an import) reminds no one."""
    from cases.overdue import OVERDUE_VERB, overdue_notify
    from tests.cases.test_overdue_reminder import TODAY, _plan

    machine = _machines(world)["caseworker"]
    _plan(lan_person.cases.get(), machine, 3)
    assert overdue_notify(today=TODAY) == 0
    assert not Notification.objects.filter(recipient=machine, verb=OVERDUE_VERB).exists()


def test_the_staff_trained_share_counts_no_service_account(world: World, settings: Any) -> None:
    """TRAIN_STAFF_SHARE's denominator is people doing the work: a caseworker client of
    district 981, there since 2025, leaves 981 at 3 / 4 (tests/programme/test_indicators.py)."""
    from tests.programme.support import build
    from tests.programme.test_indicators import _figures

    settings.TRAINING_WINDOW_MONTHS = 12
    build(world)
    machine = _machines(world)["caseworker"]
    User.objects.filter(pk=machine.pk).update(
        date_joined=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    )
    assert _figures(world, "TRAIN_STAFF_SHARE")[("981", None)] == (3, 4)
