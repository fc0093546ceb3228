"""Lockout after repeated wrong passwords or codes, unlocking, and how sessions end.

Runs with the configured failure limit (AXES_FAILURE_LIMIT, 5 unless the environment says).
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F, Max
from django.test import Client
from django.urls import reverse

from accounts.actions import totp_device_create
from accounts.events import AccountAction
from accounts.lockout import failure_windows_close
from accounts.models import LoginFailureWindow, User
from audit.models import Event
from tests.accounts.support import (
    SEARCH,
    events,
    field_text,
    password_login,
    post_code_after_back_off,
    row_text,
    signed_in,
    wrong_code,
)
from tests.conftest import World, signed_in_client
from tests.factories import PASSWORD

LOCKED_TEXT = "Tài khoản bị khóa"


def _limit() -> int:
    limit: int = settings.AXES_FAILURE_LIMIT
    return limit


def _assert_locked_response(response: object) -> None:
    assert getattr(response, "status_code", None) == 429
    names = [t.name for t in getattr(response, "templates", [])]
    assert "accounts/locked_out.html" in names
    assert LOCKED_TEXT in getattr(response, "content", b"").decode()


def _fail_passwords(client: Client, username: str) -> list[int]:
    """Type a wrong password as many times as the limit allows; return the statuses."""
    return [
        password_login(client, username, f"wrong-password-{n}").status_code for n in range(_limit())
    ]


def test_wrong_passwords_lock_the_account(world: World) -> None:
    """ASVS 6.3.1, 16.3.1: repeated wrong passwords lock the account, and it is recorded."""
    lan = world.users["lan"]
    client = Client()

    statuses = _fail_passwords(client, "lan")

    assert statuses == [200] * (_limit() - 1) + [429]
    # One event for the window (issue 22 item 9); the window row counts the rest.
    [failed] = events(AccountAction.LOGIN_FAILED, actor=lan)
    assert failed.detail == {"known_user": True}
    [locked] = events(AccountAction.LOCKED_OUT, actor=lan)
    assert locked.object_id == str(lan.pk)
    assert locked.detail["failures"] == _limit()

    response = password_login(client, "lan", PASSWORD)

    _assert_locked_response(response)
    assert not signed_in(client)
    assert events(AccountAction.LOGIN, actor=lan) == []
    # The refused attempt is counted in the window (axes also restarts the cool-off).
    assert len(events(AccountAction.LOGIN_FAILED, actor=lan)) == 1
    assert LoginFailureWindow.objects.get(user=lan).unreported == _limit()
    for event in Event.objects.filter(actor=lan):
        text = field_text(event) + row_text(event)
        assert PASSWORD not in text
        assert "wrong-password" not in text


def test_unknown_username_is_recorded_without_the_name(world: World) -> None:
    """ASVS 16.2.5, 16.3.1: a failed login by an unknown name is an event; the name is not."""
    typed = "Mat-khau-go-nham-o-o-ten-42"
    before = Event.objects.aggregate(top=Max("seq"))["top"] or 0  # events are numbered

    response = password_login(Client(), typed, PASSWORD)

    assert response.status_code == 200
    [event] = Event.objects.filter(seq__gt=before)
    assert event.action == AccountAction.LOGIN_FAILED
    assert event.actor is None
    assert event.detail == {"known_user": False}
    for text in (field_text(event), row_text(event)):
        assert typed not in text
        assert typed.lower() not in text.lower()
        assert PASSWORD not in text


def test_wrong_codes_lock_the_account_and_end_the_session(world: World) -> None:
    """ASVS 6.3.1, 16.3.1: wrong second-factor codes count towards the lockout too."""
    lan = world.users["lan"]
    device = totp_device_create(user=lan, confirmed=True)
    client = Client()
    assert password_login(client, "lan", PASSWORD).status_code == 302
    code = wrong_code(device.secret)

    statuses = [post_code_after_back_off(client, lan, code).status_code for _ in range(_limit())]

    assert statuses == [200] * (_limit() - 1) + [429]
    assert not signed_in(client)
    response = client.get(reverse(SEARCH))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert len(events(AccountAction.OTP_FAILED, actor=lan)) == _limit()
    [locked] = events(AccountAction.LOCKED_OUT, actor=lan)
    assert locked.object_id == str(lan.pk)
    assert events(AccountAction.LOGIN, actor=lan) == []
    for event in Event.objects.filter(actor=lan):
        assert code not in field_text(event) + row_text(event)

    # The password alone no longer gets a session either.
    _assert_locked_response(password_login(Client(), "lan", PASSWORD))


def test_password_login_again_does_not_restart_the_code_count(world: World) -> None:
    """ASVS 6.3.1: someone holding the password cannot reset the count of wrong codes."""
    lan = world.users["lan"]
    device = totp_device_create(user=lan, confirmed=True)
    code = wrong_code(device.secret)
    statuses: list[int] = []
    for _round in range(2):
        client = Client()
        statuses.append(password_login(client, "lan", PASSWORD).status_code)
        statuses += [
            post_code_after_back_off(client, lan, code).status_code for _ in range(_limit() - 1)
        ]

    assert 429 in statuses
    assert len(events(AccountAction.LOCKED_OUT, actor=lan)) >= 1


def test_unknown_username_is_not_kept_by_the_lockout_tables(world: World) -> None:
    """ASVS 16.2.5: a name typed at sign-in that matches no account is not stored."""
    typed = "Mat-khau-go-nham-o-o-ten-42"

    password_login(Client(), typed, PASSWORD)

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM axes_accessattempt")
        dump = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert typed not in dump


def test_unlock_command_lifts_the_lockout(world: World) -> None:
    """ASVS 6.3.1, 16.3.1: an administrator's unlock works at once and is recorded."""
    lan = world.users["lan"]
    _fail_passwords(Client(), "lan")
    _assert_locked_response(password_login(Client(), "lan", PASSWORD))

    call_command("unlock_account", "lan")

    [unlocked] = events(AccountAction.UNLOCKED, object_id=str(lan.pk))
    assert unlocked.object_type == "user"
    client = Client()
    response = password_login(client, "lan", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_unlocking_an_account_without_failures_is_an_error(world: World) -> None:
    before = Event.objects.count()
    with pytest.raises(CommandError):
        call_command("unlock_account", "lan")
    assert Event.objects.count() == before


def _lan_search(client: Client) -> int:
    status: int = client.get(reverse(SEARCH)).status_code
    return status


def test_password_change_ends_other_sessions(world: World) -> None:
    """ASVS 7.4.3: a new password signs out every session opened with the old one."""
    lan: User = world.users["lan"]
    elsewhere = signed_in_client(lan)
    assert _lan_search(elsewhere) == 200

    lan.set_password("a-new-password-for-lan-7")
    lan.save()

    response = elsewhere.get(reverse(SEARCH))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not signed_in(elsewhere)


def test_sessions_expire_after_thirty_idle_minutes() -> None:
    """ASVS 7.3.1: the session cookie lasts 30 minutes, renewed on every request."""
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def _knock(username: str, times: int) -> None:
    """Keep trying a locked account: wrong passwords, then the right one."""
    for n in range(times):
        _assert_locked_response(password_login(Client(), username, f"still-wrong-{n}"))
    _assert_locked_response(password_login(Client(), username, PASSWORD))


def test_one_lockout_writes_one_event(world: World) -> None:
    """ASVS 16.3.1, 16.4.2: a lockout is one event however many requests hit it afterwards,
    so a guessing run cannot flood the append-only trail; the next lockout is a new event."""
    lan = world.users["lan"]
    device = totp_device_create(user=lan, confirmed=True)
    pending = Client()
    assert password_login(pending, "lan", PASSWORD).status_code == 302
    _fail_passwords(Client(), "lan")

    _knock("lan", 6)
    # A session opened before the lockout.
    post_code_after_back_off(pending, lan, wrong_code(device.secret))

    [locked] = events(AccountAction.LOCKED_OUT, actor=lan)
    assert locked.object_id == str(lan.pk)
    assert len(events(AccountAction.LOGIN_FAILED, actor=lan)) == 1

    call_command("unlock_account", "lan")
    _fail_passwords(Client(), "lan")
    _knock("lan", 3)

    assert len(events(AccountAction.LOCKED_OUT, actor=lan)) == 2
    assert len(events(AccountAction.UNLOCKED, object_id=str(lan.pk))) == 1


def test_one_lockout_of_an_unknown_name_writes_one_event(world: World) -> None:
    """ASVS 16.3.1, 16.4.2: guessing at a name that matches no account locks it once."""
    _fail_passwords(Client(), "nobody-here")
    _knock("nobody-here", 6)

    [locked] = events(AccountAction.LOCKED_OUT)
    assert locked.actor is None
    assert "nobody" not in field_text(locked) + row_text(locked)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_guesses_write_one_lockout_event(world: World) -> None:
    """ASVS 16.3.1, 16.4.2: guesses sent at once past the limit still write one event."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from django.db import connections

    guesses = _limit() + 6
    barrier = Barrier(guesses)

    def guess(n: int) -> int:
        try:
            client = Client()
            barrier.wait(timeout=30)
            return int(password_login(client, "lan", f"parallel-wrong-{n}").status_code)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=guesses) as pool:
        statuses = list(pool.map(guess, range(guesses)))

    assert 429 in statuses
    assert len(events(AccountAction.LOCKED_OUT, actor=world.users["lan"])) == 1


def _close_windows() -> None:
    """Let the counting windows end, as the passing minutes would."""
    LoginFailureWindow.objects.update(
        started_at=F("started_at") - settings.HOA_NHAP_LOGIN_FAILURE_WINDOW * 2
    )


def test_refused_logins_are_one_event_per_window_and_counted(world: World) -> None:
    """ASVS 16.3.1, 16.4.2: 50 refused logins for an account (5 wrong passwords, then 45
    refused during the lockout) and 60 for names that match no account write one event
    per account (or unknown names) and address for the window, plus the lockout: the
    append-only trail cannot be flooded. When the window ends, one summary event says how
    many more there were."""
    lan = world.users["lan"]
    before = Event.objects.aggregate(top=Max("seq"))["top"] or 0  # events are numbered

    for n in range(50):
        password_login(Client(), "lan", f"wrong-password-{n}")
    for n in range(50):
        password_login(Client(), "Ten-Khong-Co", f"wrong-password-{n}")
    # Names that match no account are counted by address: a spray of names is one window.
    for n in range(10):
        password_login(Client(), f"Ten-Khong-Co-{n}", "wrong-password")

    written = list(Event.objects.filter(seq__gt=before).order_by("seq"))
    assert [(e.action, e.actor) for e in written] == [
        (AccountAction.LOGIN_FAILED, lan),
        (AccountAction.LOCKED_OUT, lan),
        (AccountAction.LOGIN_FAILED, None),
        (AccountAction.LOCKED_OUT, None),
    ]
    assert written[2].detail == {"known_user": False}

    _close_windows()
    failure_windows_close()

    repeated = events(AccountAction.LOGIN_FAILED_REPEATED)
    assert {(e.actor, e.detail["failures"], e.detail["known_user"]) for e in repeated} == {
        (lan, 49, True),
        (None, 59, False),
    }
    assert all(e.ip == "127.0.0.1" for e in repeated)
    for event in repeated:
        assert "Ten-Khong-Co" not in field_text(event) + row_text(event)
        assert "wrong-password" not in field_text(event) + row_text(event)
    assert not LoginFailureWindow.objects.exists()


def test_a_new_window_after_the_last_is_a_new_event_and_closes_the_old(world: World) -> None:
    """ASVS 16.3.1: the next refusal after a window ended is an event again, and the ended
    window's count is written before it."""
    lan = world.users["lan"]
    for n in range(3):
        password_login(Client(), "lan", f"wrong-password-{n}")
    _close_windows()

    password_login(Client(), "lan", "wrong-password-again")

    actions = [e.action for e in Event.objects.filter(actor=lan).order_by("seq")]
    assert actions == [
        AccountAction.LOGIN_FAILED,
        AccountAction.LOGIN_FAILED_REPEATED,
        AccountAction.LOGIN_FAILED,
    ]
    [repeated] = events(AccountAction.LOGIN_FAILED_REPEATED)
    assert repeated.detail["failures"] == 2


def test_a_right_password_writes_the_count_of_the_refusals_before_it(world: World) -> None:
    """ASVS 16.3.1: the auditor sees "3 refusals, then a right password" in order."""
    lan = world.users["lan"]
    for n in range(3):
        password_login(Client(), "lan", f"wrong-password-{n}")

    assert password_login(Client(), "lan", PASSWORD).status_code == 302

    actions = [e.action for e in Event.objects.filter(actor=lan).order_by("seq")]
    assert actions == [
        AccountAction.LOGIN_FAILED,
        AccountAction.LOGIN_FAILED_REPEATED,
        AccountAction.PASSWORD_ACCEPTED,
    ]
