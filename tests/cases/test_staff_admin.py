"""Staff administration in the app: one form creates an account with its staff profile
(through dual control), a staff list with lockouts and pending changes, an unlock button,
and the newcomer's invitation link.

Actors: quan (administrator) creates and unlocks, a second administrator (thu) approves,
lan (caseworker) is refused and logged.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from guardian.conf import settings as guardian_settings

from accounts.capabilities import roles_of
from accounts.events import AccountAction
from accounts.models import User
from audit.models import Event
from cases.choices import Role
from cases.events import CaseAction
from cases.models import RoleChangeRequest, StaffProfile
from cases.roles import staff_profile_save
from cases.staff import StaffAction
from tests.accounts.support import password_login
from tests.conftest import World, signed_in_client
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "ngựa-đúng-pin-kẹp-9"


def _form(world: World, **changes: str) -> dict[str, str]:
    data = {
        "username": "thanh",
        "full_name": "Nguyễn Văn Thành",
        "email": "",
        "organisation": str(world.orgs["clinic_a"].pk),
        "role": Role.CASEWORKER,
        "second_role": "",
        "scope_unit": str(world.units["d1"].pk),
    }
    return {**data, **changes}


def _denials(user: User, perm: str) -> int:
    return Event.objects.filter(action=CaseAction.DENIED, actor=user, detail__perm=perm).count()


@pytest.fixture
def thu(world: World) -> User:
    """A second administrator, for dual control."""
    user = make_user("thu", first_name="Lê Thị", last_name="Thu")
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


def _lock(username: str) -> None:
    for n in range(5):
        password_login(Client(), username, f"wrong-password-{n}")


def _locked(username: str) -> bool:
    response = password_login(Client(), username, PASSWORD)
    return bool(response.status_code == 429)


# --- creating a staff member ----------------------------------------------------------------


def test_quan_creates_a_caseworker_who_waits_for_a_second_administrator(
    world: World, thu: User
) -> None:
    """ASVS 8.1 / 1.2: one administrator alone cannot give a new account case content."""
    response = world.client("quan").post(reverse("cases:staff_create"), _form(world))
    assert response.status_code == 200
    assert "cases/staff_created.html" in [t.name for t in response.templates]
    new = User.objects.get(username="thanh")
    assert (new.first_name, new.last_name) == ("Nguyễn Văn", "Thành")
    assert not new.has_usable_password()
    assert not StaffProfile.objects.filter(user=new).exists()
    assert roles_of(new) == frozenset()
    pending = RoleChangeRequest.objects.get(user=new)
    assert pending.status == RoleChangeRequest.Status.PENDING
    assert response.context["pending"] == pending
    assert 'data-testid="pending-note"' in response.content.decode()
    for action in (AccountAction.ACCOUNT_CREATED, StaffAction.INVITATION_ISSUED):
        assert Event.objects.filter(action=action, actor=world.users["quan"], object_id=new.pk)
    assert Event.objects.filter(action=CaseAction.ROLE_CHANGE_REQUESTED).count() == 1

    # quan cannot approve his own request; thu, the second administrator, can.
    decide = reverse("cases:role_request_decide", args=[pending.pk])
    assert (
        world.client("quan").post(decide, {"decision": "approve", "confirm": "on"}).status_code
        == 404
    )
    assert (
        signed_in_client(thu).post(decide, {"decision": "approve", "confirm": "on"}).status_code
        == 302
    )
    new = User.objects.get(pk=new.pk)
    assert roles_of(new) == {Role.CASEWORKER}
    assert new.staff.organisation == world.orgs["clinic_a"]


def test_an_auditor_applies_at_once(world: World) -> None:
    """A role without case content needs no second person (as for a role change)."""
    data = _form(world, role=Role.AUDITOR, scope_unit=str(world.units["province"].pk))
    response = world.client("quan").post(reverse("cases:staff_create"), data)
    assert response.status_code == 200
    assert response.context["pending"] is None
    assert roles_of(User.objects.get(username="thanh")) == {Role.AUDITOR}
    assert not RoleChangeRequest.objects.exists()


def test_a_caseworker_cannot_create_staff_and_is_logged(world: World) -> None:
    """ASVS 8.2.1, 16.3.2: lan's GET and POST are refused, nothing is created, both logged."""
    lan = world.users["lan"]
    client = world.client("lan")
    assert client.get(reverse("cases:staff_create")).status_code == 403
    assert client.post(reverse("cases:staff_create"), _form(world)).status_code == 403
    assert not User.objects.filter(username="thanh").exists()
    assert _denials(lan, "create_staff_member") == 2
    assert client.get(reverse("cases:staff_list")).status_code == 403
    assert _denials(lan, "view_staff") == 1


def test_bad_input_keeps_everything_and_puts_each_error_under_its_field(world: World) -> None:
    client = world.client("quan")
    data = _form(
        world,
        username="quan",
        full_name="  Trần   Thị Hà ",
        email="not-an-email",
        second_role=Role.AUDITOR,
        scope_unit="",
    )
    response = client.post(reverse("cases:staff_create"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"username", "email", "second_role", "scope_unit"}
    page = response.content.decode()
    assert 'data-testid="error-summary"' in page
    assert 'href="#id_second_role"' in page
    assert 'value="  Trần   Thị Hà "' in page and 'value="not-an-email"' in page
    assert User.objects.count() == len(world.users)  # nothing created (guardian keeps none)


def test_a_username_differing_only_in_case_is_taken(world: World) -> None:
    response = world.client("quan").post(
        reverse("cases:staff_create"), _form(world, username="LAN")
    )
    assert "username" in response.context["form"].errors
    assert not User.objects.filter(username="LAN").exists()


def test_a_second_role_needs_the_flag_and_a_different_role(world: World) -> None:
    client = world.client("quan")
    same = _form(world, second_role=Role.CASEWORKER, allow_second_role="on")
    assert "second_role" in client.post(reverse("cases:staff_create"), same).context["form"].errors
    both = _form(world, second_role=Role.AUDITOR, allow_second_role="on")
    response = client.post(reverse("cases:staff_create"), both)
    assert response.context["pending"].roles == {Role.CASEWORKER, Role.AUDITOR}


# --- no AnonymousUser account --------------------------------------------------------------


def test_guardian_makes_no_anonymous_user(world: World) -> None:
    """Guardian's backend is not installed, so it keeps no "AnonymousUser" account (D32):
    no list hides one, none is offered anywhere a person is picked."""
    assert guardian_settings.ANONYMOUS_USER_NAME is None
    assert not User.objects.filter(username="AnonymousUser").exists()
    client = world.client("quan")
    pages = [
        reverse("cases:staff_list"),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:cases_staffprofile_add"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "AnonymousUser" not in response.content.decode(), url


def test_the_migration_removes_an_anonymous_row_left_by_guardian(world: World) -> None:
    from importlib import import_module

    from django.apps import apps

    migration = import_module("cases.migrations.0017_no_guardian_anonymous_user")
    User.objects.create(username="AnonymousUser")
    migration.remove_anonymous(apps, None)
    assert not User.objects.filter(username="AnonymousUser").exists()


# --- the staff list --------------------------------------------------------------------------


def test_staff_list_shows_organisation_role_lockout_and_pending(world: World) -> None:
    client = world.client("quan")
    client.post(reverse("cases:staff_create"), _form(world))
    _lock("tuan")
    response = client.get(reverse("cases:staff_list"))
    page = response.content.decode()
    rows = {m.username: m for m in response.context["page"].object_list}
    assert {"lan", "tuan", "thanh", "quan"} <= set(rows)
    assert response.context["locked"] == {"tuan"}
    assert rows["thanh"].has_pending and not rows["lan"].has_pending
    assert page.count('data-testid="locked"') == 1
    assert page.count('data-testid="pending"') == 1
    assert "Methadone A" in page


def test_staff_list_is_paged_by_50(world: World) -> None:
    for n in range(55):
        make_user(f"nv{n:02d}")
    client = world.client("quan")
    first = client.get(reverse("cases:staff_list"))
    assert len(first.context["page"].object_list) == 50
    second = client.get(reverse("cases:staff_list"), {"page": "2"})
    assert len(second.context["page"].object_list) == len(world.users) + 55 - 50


# --- unlocking -------------------------------------------------------------------------------


def test_quan_unlocks_after_confirming_and_it_is_recorded(world: World) -> None:
    """ASVS 6.3.1: the unlock button asks first, then unlocks like the command."""
    _lock("lan")
    client = world.client("quan")
    confirm = client.post(reverse("cases:staff_unlock"), {"username": "lan"})
    assert confirm.status_code == 200
    assert "cases/staff_unlock_confirm.html" in [t.name for t in confirm.templates]
    assert not Event.objects.filter(action=AccountAction.UNLOCKED).exists()

    response = client.post(reverse("cases:staff_unlock"), {"username": "lan", "confirm": "yes"})
    assert response.status_code == 302
    [event] = Event.objects.filter(action=AccountAction.UNLOCKED)
    assert event.actor == world.users["quan"]
    assert event.object_id == str(world.users["lan"].pk)
    assert event.detail["via"] == "staff_page"
    assert not _locked("lan")


def test_a_caseworkers_unlock_is_refused_keeps_the_lock_and_is_logged(world: World) -> None:
    """ASVS 8.2.1, 6.3.1, 16.3.2: lan cannot lift tuan's lockout; the attempt is recorded."""
    _lock("tuan")
    lan = world.users["lan"]
    client = world.client("lan")
    for data in ({"username": "tuan"}, {"username": "tuan", "confirm": "yes"}):
        assert client.post(reverse("cases:staff_unlock"), data).status_code == 403
    assert _denials(lan, "unlock_account") == 2
    assert Event.objects.filter(
        action=CaseAction.DENIED, actor=lan, object_id=world.users["tuan"].pk
    ).exists()
    assert not Event.objects.filter(action=AccountAction.UNLOCKED).exists()
    assert _locked("tuan")


def test_unlock_needs_csrf(world: World) -> None:
    """ASVS 3.5.1: the unlock is a POST protected by the CSRF token."""
    _lock("lan")
    client = world.client("quan")
    client.handler.enforce_csrf_checks = True
    response = client.post(reverse("cases:staff_unlock"), {"username": "lan", "confirm": "yes"})
    assert response.status_code == 403
    assert _locked("lan")


def test_unlocking_an_unlocked_or_unknown_account_says_so(world: World) -> None:
    client = world.client("quan")
    response = client.post(
        reverse("cases:staff_unlock"), {"username": "lan", "confirm": "yes"}, follow=True
    )
    assert response.status_code == 200
    assert not Event.objects.filter(action=AccountAction.UNLOCKED).exists()
    unknown = client.post(reverse("cases:staff_unlock"), {"username": "nobody"}, follow=True)
    assert unknown.status_code == 200
    assert [m.level_tag for m in unknown.context["messages"]] == ["error"]


# --- the invitation link ---------------------------------------------------------------------


def _invitation(response: Any) -> str:
    link = response.context["link"]
    match = re.search(r"/staff/welcome/[^/]+/$", link)
    assert match, link
    return match.group(0)


def test_the_newcomer_sets_a_password_once_then_enrols(world: World, thu: User) -> None:
    """ASVS 6.4.1: the first password is set by the person through a one-time link and the
    activation code a second person (thu) handed over."""
    response = world.client("quan").post(
        reverse("cases:staff_create"), _form(world, role=Role.AUDITOR)
    )
    link = _invitation(response)
    visitor = Client()
    opened = visitor.get(link)
    assert opened.status_code == 302  # the token moves from the URL into the session
    form_url = opened["Location"]
    invitation = User.objects.get(username="thanh").invitation
    code = signed_in_client(thu).post(reverse("cases:invitation_code", args=[invitation.pk]))
    data = {"code": code.context["code"]}
    short = visitor.post(form_url, data | {"new_password1": "ngắn", "new_password2": "ngắn"})
    assert short.status_code == 200 and short.context["form"].errors
    done = visitor.post(
        form_url, data | {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302 and done["Location"] == reverse("login")
    user = User.objects.get(username="thanh")
    assert user.check_password(NEW_PASSWORD)
    assert Event.objects.filter(action=AccountAction.PASSWORD_CHANGED, object_id=user.pk)

    # The link works once.
    again = Client().get(link, follow=True)
    assert 'data-testid="invalid-link"' in again.content.decode()
    # Signing in leads to the authenticator enrolment.
    signed = Client()
    login = password_login(signed, "thanh", NEW_PASSWORD)
    assert login.status_code == 302
    assert signed.get(reverse("home"))["Location"].startswith(reverse("accounts:otp_enrol"))


def test_a_new_invitation_only_for_someone_without_a_password(world: World) -> None:
    client = world.client("quan")
    client.post(reverse("cases:staff_create"), _form(world, role=Role.AUDITOR))
    again = client.post(reverse("cases:staff_invite"), {"username": "thanh"})
    assert again.status_code == 200
    assert Event.objects.filter(action=StaffAction.INVITATION_ISSUED).count() == 2
    refused = client.post(reverse("cases:staff_invite"), {"username": "lan"}, follow=True)
    assert [m.level_tag for m in refused.context["messages"]] == ["error"]
    assert Event.objects.filter(action=StaffAction.INVITATION_ISSUED).count() == 2
    lan = world.users["lan"]
    assert (
        world.client("lan").post(reverse("cases:staff_invite"), {"username": "thanh"}).status_code
        == 403
    )
    assert _denials(lan, "invite_staff_member") == 1


# --- the admin -------------------------------------------------------------------------------


def test_the_admin_links_back_to_the_app(world: World) -> None:
    """The admin's "view site" link leads to the administrator's start page: the staff list
    (it used to be the admin itself, a loop)."""
    client = world.client("quan")
    page = client.get(reverse("admin:index")).content.decode()
    assert '<a href="/">' in page
    assert client.get("/")["Location"] == reverse("cases:staff_list")


def test_the_menu_offers_the_staff_list_to_administrators_only(world: World) -> None:
    staff_url = reverse("cases:staff_list")
    assert (
        f'href="{staff_url}"'
        in world.client("quan").get(reverse("cases:role_request_list")).content.decode()
    )
    assert (
        f'href="{staff_url}"'
        not in world.client("lan").get(reverse("cases:my_work")).content.decode()
    )
