"""The newcomer's invitation (issue 22 items 1 and 18): a link whose token is traded for a
session at the first visit and expires, and a first password that needs an activation code a
second person hands over in person.

Actors: quan (administrator) creates the account and holds the link; thu (a second
administrator, not of quan's making) hands over the code; a visitor plays the newcomer, and
another plays whoever reads the access log.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from accounts.models import Invitation, User
from audit.models import Event
from cases.choices import Role
from cases.events import CaseAction
from cases.invitations import CODE_ATTEMPTS, InvitationAction
from cases.models import StaffProfile
from cases.roles import staff_profile_save
from tests.conftest import World, signed_in_client
from tests.factories import make_user

NEW_PASSWORD = "ngựa-đúng-pin-kẹp-9"


@pytest.fixture
def thu(world: World) -> User:
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


def _create(world: World) -> str:
    data = {
        "username": "thanh",
        "full_name": "Nguyễn Văn Thành",
        "email": "",
        "organisation": str(world.orgs["social"].pk),
        "role": Role.AUDITOR,
        "second_role": "",
        "scope_unit": str(world.units["province"].pk),
    }
    response = world.client("quan").post(reverse("cases:staff_create"), data)
    match = re.search(r"/staff/welcome/[^/]+/$", response.context["link"])
    assert match, response.context["link"]
    return match.group(0)


def _code(thu: User) -> str:
    client = signed_in_client(thu)
    listing = client.get(reverse("cases:role_request_list")).content.decode()
    assert 'data-testid="awaiting-code"' in listing
    invitation = Invitation.objects.get(user__username="thanh")
    shown = client.post(reverse("cases:invitation_code", args=[invitation.pk]))
    assert shown.status_code == 200
    return str(shown.context["code"])


def _denials(perm: str) -> int:
    return Event.objects.filter(action=CaseAction.DENIED, detail__perm=perm).count()


def _set_password(client: Client, code: str) -> Any:
    return client.post(
        reverse("cases:staff_welcome"),
        {"code": code, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )


def test_the_token_is_traded_for_a_session_and_the_logged_link_is_dead(world: World) -> None:
    """ASVS 7.2.4, 6.4.1 (issue 22 item 18): the first visit moves the invitation into the
    session and leaves the token's URL; the same link from an access log opens nothing."""
    link = _create(world)
    newcomer = Client()
    opened = newcomer.get(link)
    assert opened.status_code == 302
    assert opened["Location"] == reverse("cases:staff_welcome")
    page = newcomer.get(opened["Location"])
    assert page.status_code == 200 and page.context["validlink"]
    assert Event.objects.filter(action=InvitationAction.OPENED).count() == 1

    log_reader = Client()
    again = log_reader.get(link)
    assert 'data-testid="invalid-link"' in again.content.decode()
    assert not log_reader.get(reverse("cases:staff_welcome")).context["validlink"]
    assert _denials("open_invitation") == 1
    # Nothing stored holds the token itself.
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert token not in str(list(Invitation.objects.values()))


def test_an_unused_invitation_expires(world: World, settings: Any) -> None:
    """ASVS 6.4.1 (issue 22 item 18): an unused link dies after INVITATION_HOURS."""
    link = _create(world)
    invitation = Invitation.objects.get(user__username="thanh")
    assert invitation.expires_at - invitation.issued_at == timedelta(hours=72)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=invitation.issued_at - timedelta(seconds=1)
    )
    response = Client().get(link)
    assert 'data-testid="invalid-link"' in response.content.decode()
    assert _denials("open_invitation") == 1
    settings.INVITATION_HOURS = 1
    _create_again = world.client("quan").post(reverse("cases:staff_invite"), {"username": "thanh"})
    assert _create_again.status_code == 200
    invitation.refresh_from_db()
    assert invitation.expires_at - invitation.issued_at == timedelta(hours=1)


def test_the_administrator_alone_cannot_set_the_first_password(world: World, thu: User) -> None:
    """ASVS 6.4.1, 8.1 (issue 22 item 1): quan opens his own link; without the code a second
    person hands over, no password is set, each try is refused and logged, and the code is
    never shown to quan."""
    link = _create(world)
    quan_browser = Client()
    assert quan_browser.get(link).status_code == 302
    refused = _set_password(quan_browser, "")
    assert refused.status_code == 200 and refused.context["form"].errors
    early = _set_password(quan_browser, "ABCDE-FGHJK")  # no code handed over yet
    assert "code" in early.context["form"].errors
    assert _denials("invitation_code") == 1
    assert not User.objects.get(username="thanh").has_usable_password()
    # The code is not quan's to see.
    invitation = Invitation.objects.get(user__username="thanh")
    assert (
        world.client("quan")
        .post(reverse("cases:invitation_code", args=[invitation.pk]))
        .status_code
        == 404
    )
    assert _denials("hand_over_activation_code") == 1
    listing = world.client("quan").get(reverse("cases:role_request_list")).content.decode()
    assert 'data-testid="awaiting-code"' not in listing
    # thu hands it over; with it (in quan's browser, the link's session) it works once.
    code = _code(thu)
    wrong = _set_password(quan_browser, "ZZZZZ-ZZZZZ")
    assert "code" in wrong.context["form"].errors
    done = _set_password(quan_browser, code.lower())
    assert done.status_code == 302 and done["Location"] == reverse("login")
    user = User.objects.get(username="thanh")
    assert user.check_password(NEW_PASSWORD)
    assert Event.objects.filter(action=InvitationAction.ACCEPTED, object_id=user.pk).exists()
    # The code is shown once: it is no longer offered.
    listing = signed_in_client(thu).get(reverse("cases:role_request_list")).content.decode()
    assert 'data-testid="awaiting-code"' not in listing


def test_wrong_codes_end_the_invitation(world: World, thu: User) -> None:
    """ASVS 6.3.1: the activation code cannot be guessed: a few wrong tries end it."""
    link = _create(world)
    newcomer = Client()
    newcomer.get(link)
    code = _code(thu)
    for _n in range(CODE_ATTEMPTS):
        _set_password(newcomer, "WRONG-CODE1")
    assert _denials("invitation_code") == CODE_ATTEMPTS
    late = _set_password(newcomer, code)
    assert not late.context["validlink"]
    assert not User.objects.get(username="thanh").has_usable_password()


def test_with_a_mailer_the_link_goes_by_email_and_is_never_shown(
    world: World, settings: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    """ASVS 6.4.1 (issue 22 item 1): with mail set up, the link goes to the person's own
    address; the administrator's page does not show it."""
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    data = {
        "username": "thanh",
        "full_name": "Nguyễn Văn Thành",
        "email": "thanh@example.org",
        "organisation": str(world.orgs["social"].pk),
        "role": Role.AUDITOR,
        "second_role": "",
        "scope_unit": str(world.units["province"].pk),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = world.client("quan").post(reverse("cases:staff_create"), data)
    assert response.context["link"] is None
    page = response.content.decode()
    assert 'data-testid="invitation-mailed"' in page and "/staff/welcome/" not in page
    [message] = mail.outbox
    assert message.to == ["thanh@example.org"]
    link = re.search(r"/staff/welcome/[^/\s]+/", str(message.body))
    assert link and Client().get(link.group(0)).status_code == 302


def test_the_link_never_enters_the_task_queue(
    world: World, settings: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    """Decision D36: a task's arguments are stored in clear, so the one-time link is sent
    from the request, not queued for the background worker."""
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    data = {
        "username": "thanh",
        "full_name": "Nguyễn Văn Thành",
        "email": "thanh@example.org",
        "organisation": str(world.orgs["social"].pk),
        "role": Role.AUDITOR,
        "second_role": "",
        "scope_unit": str(world.units["province"].pk),
    }
    with django_capture_on_commit_callbacks(execute=True):
        world.client("quan").post(reverse("cases:staff_create"), data)
    [message] = mail.outbox
    assert "/staff/welcome/" in str(message.body)
    assert not DBTaskResult.objects.exists()


BAD_VALUES = ["", "x<b>'\"%;--", "-99999999999999999999", "ab\x00cd", "é" * 500]


def test_the_welcome_form_survives_bad_input(world: World, thu: User) -> None:
    """Bad input in the code or the passwords: a page with the error, never a 500."""
    link = _create(world)
    newcomer = Client()
    newcomer.raise_request_exception = False
    newcomer.get(link)
    code = _code(thu)
    good = {"code": code, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    for field in good:
        for value in BAD_VALUES:
            Invitation.objects.update(code_failures=0)
            response = newcomer.post(reverse("cases:staff_welcome"), good | {field: value})
            assert response.status_code == 200, (field, value)
            assert response.context["form"].errors, (field, value)
    assert not User.objects.get(username="thanh").has_usable_password()
