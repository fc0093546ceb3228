"""Sign-in writes are explicit actions: no signal receiver of accounts writes (issue 24).

A password change is recorded by the action that sets it (``accounts.actions.password_set``),
after the save and in its transaction, with who did it; a lockout opens and ends in the
sign-in handler django-axes calls (``accounts.signin.SignInHandler``), not in receivers of
its signals or of the attempt table's deletes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import Signal
from django.test import Client

from accounts.actions import password_set
from accounts.events import AccountAction
from accounts.models import Lockout, User
from tests.accounts.support import events, password_login, signed_in
from tests.conftest import World
from tests.factories import PASSWORD

NEW_PASSWORD = "a-new-long-passphrase-2026"


def _receiver_modules(signal: Signal) -> set[str]:
    modules = set()
    for entry in signal.receivers:
        target: Any = entry[1]
        function = target() if callable(target) and not hasattr(target, "__code__") else target
        modules.add(getattr(function, "__module__", "") or "")
    return modules


def test_accounts_connects_no_receiver_to_saves_or_sign_in_signals() -> None:
    signals = [
        pre_save,
        post_save,
        pre_delete,
        post_delete,
        user_login_failed,
        user_logged_in,
        user_logged_out,
        user_locked_out,
    ]
    ours = {m for s in signals for m in _receiver_modules(s) if m.startswith("accounts.")}
    assert ours == set()


def test_a_password_saved_by_hand_is_not_recorded_behind_its_back(world: World) -> None:
    """A save is not an event: the action that changes a password records it (ASVS 16.3.1)."""
    lan = world.users["lan"]
    lan.set_password(NEW_PASSWORD)
    lan.save()
    assert events(AccountAction.PASSWORD_CHANGED) == []


def test_the_password_action_saves_and_records_who_did_it(world: World) -> None:
    """ASVS 16.3.1: a password set for someone else names the person who set it."""
    lan, quan = world.users["lan"], world.users["quan"]
    password_set(actor=quan, user=lan, password=NEW_PASSWORD)
    lan.refresh_from_db()
    assert lan.check_password(NEW_PASSWORD)
    [event] = events(AccountAction.PASSWORD_CHANGED)
    assert (event.actor, event.object_type, event.object_id) == (quan, "user", str(lan.pk))

    password_set(actor=quan, user=lan, password=None)  # a reset: unusable until invited again
    lan.refresh_from_db()
    assert not lan.has_usable_password()
    assert len(events(AccountAction.PASSWORD_CHANGED)) == 2


def test_a_lockout_ends_after_the_cool_off_once_and_is_recorded(world: World) -> None:
    """ASVS 6.3.1, 16.3.1: the lockout lifts when the cool-off ends, as one event."""
    lan = world.users["lan"]
    for n in range(settings.AXES_FAILURE_LIMIT):
        password_login(Client(), "lan", f"wrong-password-{n}")
    assert Lockout.objects.filter(username="lan").exists()
    assert len(events(AccountAction.LOCKED_OUT, actor=lan)) == 1

    later = settings.AXES_COOLOFF_TIME + timedelta(minutes=1)
    for attempt in AccessAttempt.objects.filter(username="lan"):
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            attempt_time=attempt.attempt_time - later
        )
    client = Client()
    assert password_login(client, "lan", PASSWORD).status_code == 302
    assert signed_in(client)
    password_login(Client(), "lan", PASSWORD)

    [ended] = events(AccountAction.UNLOCKED, object_id=str(lan.pk))
    assert ended.detail == {"via": "cool-off"}
    assert not Lockout.objects.filter(username="lan").exists()


def test_sign_out_is_recorded(world: World) -> None:
    client = Client()
    password_login(client, "lan", PASSWORD)
    client.post("/logout/")
    user: User = world.users["lan"]
    assert len(events(AccountAction.LOGOUT, actor=user)) == 1
