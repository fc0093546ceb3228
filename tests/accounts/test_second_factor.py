"""The second factor: a TOTP code or a one-time backup code completes every sign-in.

Each attack (wrong code, replayed code, reused backup code, password-only admin) is tried
through the real views and must fail and leave an access event without the secret typed.
"""

from __future__ import annotations

import re

from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts import totp
from accounts.actions import totp_device_create
from accounts.events import AccountAction
from accounts.models import BackupCodeDevice, TOTPDevice, User
from audit.models import Event
from cases.choices import Role
from cases.models import AccountResetRequest, StaffProfile
from cases.resets import account_reset_decide
from cases.roles import staff_profile_save
from tests.accounts.support import (
    SEARCH,
    back_off_over,
    events,
    field_text,
    password_login,
    post_code,
    row_text,
    signed_in,
    wrong_code,
)
from tests.conftest import World, signed_in_client
from tests.factories import PASSWORD, make_user

CODE_IN_PAGE = re.compile(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>")


def _password_only(user: User) -> Client:
    """Return a client past the password, not yet past the second factor."""
    client = Client()
    response = password_login(client, user.username, PASSWORD)
    assert response.status_code == 302, response.status_code
    assert signed_in(client)
    return client


def _assert_waits_for_code(client: Client) -> None:
    response = client.get(reverse(SEARCH))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_verify"))


def _enrol(user: User) -> tuple[Client, str, list[str]]:
    """Enrol an authenticator through the views; return the client, the seed and the codes."""
    client = _password_only(user)
    response = client.get(reverse("accounts:otp_enrol"))
    assert response.status_code == 200
    secret = TOTPDevice.objects.get(user=user, confirmed=False).secret
    response = client.post(reverse("accounts:otp_enrol"), {"token": totp.code(secret)})
    assert response.status_code == 200
    codes = CODE_IN_PAGE.findall(response.content.decode())
    return client, secret, codes


def test_right_code_completes_the_login(world: World) -> None:
    """ASVS 6.3.3, 16.3.1: the password alone is not enough; the code completes the login."""
    lan = world.users["lan"]
    device = totp_device_create(user=lan, confirmed=True)
    client = _password_only(lan)
    _assert_waits_for_code(client)

    code = totp.code(device.secret)
    response = post_code(client, code)

    assert response.status_code == 302
    assert client.get(reverse(SEARCH)).status_code == 200
    [login] = events(AccountAction.LOGIN, actor=lan)
    assert login.detail == {"device": "totpdevice"}
    for text in (field_text(login), row_text(login)):
        assert PASSWORD not in text


def test_wrong_code_is_refused_and_recorded(world: World) -> None:
    """ASVS 6.3.3, 16.3.1: a wrong code leaves the session unverified and is an event."""
    lan = world.users["lan"]
    device = totp_device_create(user=lan, confirmed=True)
    client = _password_only(lan)
    code = wrong_code(device.secret)

    response = post_code(client, code)

    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    _assert_waits_for_code(client)
    assert events(AccountAction.LOGIN, actor=lan) == []
    [failed] = events(AccountAction.OTP_FAILED, actor=lan)
    assert failed.detail == {"device": "any"}
    for text in (field_text(failed), row_text(failed)):
        assert code not in text
        assert PASSWORD not in text


def test_a_code_is_not_accepted_twice(world: World) -> None:
    """ASVS 6.5.1: a TOTP code works once, even from another session in the same step."""
    lan = world.users["lan"]
    device = totp_device_create(user=lan, confirmed=True)
    code = totp.code(device.secret)
    first = _password_only(lan)
    assert post_code(first, code).status_code == 302
    device.refresh_from_db()
    assert device.last_t >= 0

    second = _password_only(lan)
    response = post_code(second, code)

    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    _assert_waits_for_code(second)
    assert len(events(AccountAction.LOGIN, actor=lan)) == 1
    [failed] = events(AccountAction.OTP_FAILED, actor=lan)
    assert code not in row_text(failed)


def test_enrolment_issues_backup_codes_that_work_once(world: World) -> None:
    """ASVS 6.5.1, 6.4.x: backup codes are shown once at enrolment and each works once."""
    lan = world.users["lan"]
    enrolling, _secret, codes = _enrol(lan)

    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert enrolling.get(reverse(SEARCH)).status_code == 200  # enrolment completed the login
    [enrolled] = events(AccountAction.OTP_ENROLLED, actor=lan)
    device = TOTPDevice.objects.get(user=lan)
    assert device.confirmed
    assert enrolled.object_id == str(device.pk)
    assert BackupCodeDevice.objects.get(user=lan).remaining() == 10

    code = codes[3]
    with_backup = _password_only(lan)
    assert post_code(with_backup, code).status_code == 302
    assert with_backup.get(reverse(SEARCH)).status_code == 200
    assert events(AccountAction.LOGIN, actor=lan)[-1].detail == {"device": "backupcodedevice"}
    assert BackupCodeDevice.objects.get(user=lan).remaining() == 9

    again = _password_only(lan)
    response = post_code(again, code)

    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    _assert_waits_for_code(again)
    [failed] = events(AccountAction.OTP_FAILED, actor=lan)
    for event in (enrolled, failed, *events(AccountAction.LOGIN, actor=lan)):
        text = row_text(event) + field_text(event)
        for typed in codes:
            assert typed not in text
            assert typed.replace("-", "") not in text


def _column(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [str(row[0]) for row in cursor.fetchall()]


def test_seed_is_encrypted_and_backup_codes_hashed_at_rest(world: World) -> None:
    """ASVS 6.5.2, 14.2.4: a database dump holds no TOTP seed and no usable backup code."""
    lan = world.users["lan"]
    _client, secret, codes = _enrol(lan)
    assert len(codes) == 10

    seeds = _column("SELECT secret FROM accounts_totpdevice")
    assert len(seeds) == 1
    for stored in seeds:
        assert secret not in stored
        assert secret.lower() not in stored.lower()
        assert secret[:16] not in stored  # nor a recognisable part of it

    digests = _column("SELECT digest FROM accounts_backupcode")
    assert len(digests) == 10
    for stored in digests:
        for code in codes:
            assert code not in stored
            assert code.replace("-", "") not in stored


def test_admin_site_requires_the_second_factor(world: World) -> None:
    """ASVS 6.3.4, 8.3.x: the administration pages demand the second factor too."""
    quan = world.users["quan"]
    quan.refresh_from_db()
    assert quan.is_staff  # from the administrator role on the profile
    totp_device_create(user=quan, confirmed=True)
    password_only = _password_only(quan)

    response = password_only.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_verify"))
    assert events(AccountAction.LOGIN, actor=quan) == []

    assert signed_in_client(quan).get("/admin/").status_code == 200


def test_administrator_resets_a_lost_second_factor(world: World) -> None:
    """ASVS 6.4.x: a lost phone is handled by two administrators, and the reset is recorded."""
    lan = world.users["lan"]
    totp_device_create(user=lan, confirmed=True)
    admin = signed_in_client(world.users["quan"])
    response = admin.post(
        "/admin/accounts/user/",
        {"action": "reset_second_factor", "_selected_action": [str(lan.pk)]},
    )
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=lan).exists()  # waits for a second administrator
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
    account_reset_decide(
        actor=thu, request_id=AccountResetRequest.objects.get(user=lan).pk, approve=True
    )
    assert not TOTPDevice.objects.filter(user=lan).exists()
    event = Event.objects.get(action=AccountAction.OTP_RESET)
    assert (event.actor, event.object_id) == (thu, str(lan.pk))
    # lan's next login goes to enrolment.
    client = signed_in_client(lan, second_factor=False)
    assert client.get("/people/")["Location"].startswith("/account/two-factor/enrol/")


def _failures(username: str) -> int:
    from axes.models import AccessAttempt

    return sum(a.failures_since_start for a in AccessAttempt.objects.filter(username=username))


def test_a_right_code_right_after_a_wrong_one_asks_to_wait(world: World) -> None:
    """ASVS 6.3.1, 6.6.3: django-otp's back-off refuses any code for a second after a wrong
    one; the right code sent then is not "wrong": the page says to wait, and it counts
    neither as a failed code nor towards the lockout."""
    lan = world.users["lan"]
    device = totp_device_create(user=lan, confirmed=True)
    client = _password_only(lan)
    assert post_code(client, wrong_code(device.secret)).status_code == 200

    response = post_code(client, totp.code(device.secret))

    assert response.status_code == 200
    message = " ".join(response.context["form"].errors["token"])
    assert "Đợi" in message
    assert "không đúng" not in message
    assert len(events(AccountAction.OTP_FAILED, actor=lan)) == 1
    assert _failures("lan") == 1
    back_off_over(lan)
    assert post_code(client, totp.code(device.secret)).status_code == 302
    assert len(events(AccountAction.LOGIN, actor=lan)) == 1


def test_enrolment_code_right_after_a_wrong_one_asks_to_wait(world: World) -> None:
    """ASVS 6.3.1: the same back-off on the first code of a new authenticator."""
    hoa = world.users["hoa"]
    client = _password_only(hoa)
    assert client.get(reverse("accounts:otp_enrol")).status_code == 200
    secret = TOTPDevice.objects.get(user=hoa, confirmed=False).secret
    client.post(reverse("accounts:otp_enrol"), {"token": wrong_code(secret)})

    response = client.post(reverse("accounts:otp_enrol"), {"token": totp.code(secret)})

    assert response.status_code == 200
    assert "Đợi" in " ".join(response.context["form"].errors["token"])
    assert len(events(AccountAction.OTP_FAILED, actor=hoa)) == 1
    assert _failures("hoa") == 1
    back_off_over(hoa)
    response = client.post(reverse("accounts:otp_enrol"), {"token": totp.code(secret)})
    assert CODE_IN_PAGE.findall(response.content.decode())
