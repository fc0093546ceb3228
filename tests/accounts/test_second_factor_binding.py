"""Attacks on the second step: an enrolment secret seen in another session, a session cookie
captured before the code, and codes typed in other scripts' digits.

Each attack goes through the real views and must fail and be recorded.
"""

from __future__ import annotations

import base64
import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp as totp_at

from accounts import totp
from accounts.actions import totp_device_create
from accounts.events import AccountAction
from accounts.models import TOTPDevice, User
from tests.accounts.support import (
    SEARCH,
    back_off_over,
    events,
    password_login,
    post_code,
    signed_in,
)
from tests.conftest import World
from tests.factories import PASSWORD

SECRET_IN_PAGE = re.compile(r'data-testid="otp-secret">([A-Z2-7 ]+)<')
ENROL = "accounts:otp_enrol"
# Codes that look like six digits to str.isdigit() but are not ASCII 0-9.
NON_ASCII_CODES = [
    "12345\u00b2",  # superscript two
    "\u0661\u0662\u0663\u0664\u0665\u0666",  # Arabic-Indic 123456
    "\uff11\uff12\uff13\uff14\uff15\uff16",  # full-width 123456
]


def _password_only(user: User) -> Client:
    client = Client()
    assert password_login(client, user.username, PASSWORD).status_code == 302
    return client


def _shown_secret(client: Client) -> str:
    response = client.get(reverse(ENROL))
    assert response.status_code == 200
    match = SECRET_IN_PAGE.search(response.content.decode())
    assert match is not None
    return match.group(1).replace(" ", "")


def _session_cookie(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _next_step_code(secret: str) -> str:
    """Return the code of the next 30-second step: accepted (clock drift), yet not a replay."""
    return f"{totp_at(base64.b32decode(secret), drift=1):06d}"


def _failures(username: str) -> int:
    total = AccessAttempt.objects.filter(username=username).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return int(total or 0)


def test_each_session_gets_its_own_enrolment_secret(world: World) -> None:
    """ASVS 6.4.1: an enrolment secret is shown to one session only, never shared."""
    lan = world.users["lan"]
    first, second = _password_only(lan), _password_only(lan)

    secret_a, secret_b = _shown_secret(first), _shown_secret(second)

    assert secret_a != secret_b
    assert _shown_secret(first) == secret_a  # reloading the page keeps the session's secret


def test_secret_seen_in_another_session_is_no_second_factor(world: World) -> None:
    """ASVS 6.4.1, 6.3.3, 16.3.1: someone who saw the enrolment page in their own session
    holds nothing once the real user enrols; their code is refused and recorded."""
    lan = world.users["lan"]
    intruder, owner = _password_only(lan), _password_only(lan)
    stolen = _shown_secret(intruder)
    own = _shown_secret(owner)

    response = owner.post(reverse(ENROL), {"token": totp.code(own)})
    assert response.status_code == 200
    assert owner.get(reverse(SEARCH)).status_code == 200
    [device] = TOTPDevice.objects.filter(user=lan)  # the intruder's pending device is gone
    assert device.confirmed

    for client in (intruder, _password_only(lan)):
        back_off_over(lan)  # each code is checked, not refused for the back-off
        response = post_code(client, _next_step_code(stolen))
        assert response.status_code == 200
        assert response.context["form"].errors["token"]
        assert client.get(reverse(SEARCH)).status_code == 302

    assert len(events(AccountAction.OTP_FAILED, actor=lan)) == 2
    assert len(events(AccountAction.LOGIN, actor=lan)) == 1
    assert _failures("lan") == 2


def test_password_step_is_recorded(world: World) -> None:
    """ASVS 16.3.1: a right password with the second factor still to come is an event."""
    lan = world.users["lan"]
    totp_device_create(user=lan, confirmed=True)

    _password_only(lan)

    [step] = events(AccountAction.PASSWORD_ACCEPTED, actor=lan)
    assert step.detail == {"next": "verify"}
    assert events(AccountAction.LOGIN, actor=lan) == []
    _password_only(world.users["tuan"])  # not enrolled yet
    [step] = events(AccountAction.PASSWORD_ACCEPTED, actor=world.users["tuan"])
    assert step.detail == {"next": "enrol"}


def test_session_cookie_from_before_the_code_is_dead_after_it(world: World) -> None:
    """ASVS 7.2.4: the session id changes when the second factor succeeds, so a cookie
    captured between the password and the code does not ride on the completed login."""
    lan = world.users["lan"]
    device = totp_device_create(user=lan, confirmed=True)
    client = _password_only(lan)
    captured = _session_cookie(client)

    assert post_code(client, totp.code(device.secret)).status_code == 302

    assert _session_cookie(client) != captured
    assert client.get(reverse(SEARCH)).status_code == 200
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = captured
    response = thief.get(reverse(SEARCH))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not signed_in(thief)
    [login] = events(AccountAction.LOGIN, actor=lan)
    assert login.detail == {"device": "totpdevice"}


def test_session_cookie_from_before_enrolment_is_dead_after_it(world: World) -> None:
    """ASVS 7.2.4: confirming a new authenticator also changes the session id."""
    lan = world.users["lan"]
    client = _password_only(lan)
    secret = _shown_secret(client)
    captured = _session_cookie(client)

    assert client.post(reverse(ENROL), {"token": totp.code(secret)}).status_code == 200

    assert _session_cookie(client) != captured
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = captured
    assert thief.get(reverse(SEARCH))["Location"].startswith(reverse("login"))
    assert len(events(AccountAction.OTP_ENROLLED, actor=lan)) == 1


@pytest.mark.parametrize("token", NON_ASCII_CODES)
def test_code_in_other_digits_is_a_counted_failure(world: World, token: str) -> None:
    """ASVS 2.2.1, 6.3.1, 16.3.1: a code in non-ASCII digits is refused with a message (no
    error page), recorded, and counted towards the lockout."""
    lan = world.users["lan"]
    totp_device_create(user=lan, confirmed=True)
    client = _password_only(lan)

    response = post_code(client, token)

    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    assert client.get(reverse(SEARCH)).status_code == 302
    [failed] = events(AccountAction.OTP_FAILED, actor=lan)
    assert token not in str(failed.detail)
    assert _failures("lan") == 1


@pytest.mark.parametrize("token", NON_ASCII_CODES)
def test_enrolment_code_in_other_digits_is_a_counted_failure(world: World, token: str) -> None:
    """ASVS 2.2.1, 6.3.1, 16.3.1: the enrolment form refuses non-ASCII digits the same way."""
    lan = world.users["lan"]
    client = _password_only(lan)
    _shown_secret(client)

    response = client.post(reverse(ENROL), {"token": token})

    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    assert not TOTPDevice.objects.filter(user=lan, confirmed=True).exists()
    assert len(events(AccountAction.OTP_FAILED, actor=lan)) == 1
    assert _failures("lan") == 1
