"""manage.py create_administrator: a new installation's first administrators."""

from __future__ import annotations

import io
import sys

import pytest
from django.core.management import CommandError, call_command

from accounts.events import AccountAction
from audit.models import Event
from cases.choices import Role
from cases.models import Organisation, StaffProfile
from tests.conftest import World

PASSWORD = "một-mật-khẩu-đủ-dài-2026"  # noqa: S105  # nosec B105: a test password


def _create(username: str, unit: str, password: str = PASSWORD) -> str:
    out = io.StringIO()
    stdin = io.StringIO(password + "\n")
    real, sys.stdin = sys.stdin, stdin
    try:
        call_command(
            "create_administrator", username, "--full-name", "Nguyễn Văn Quản",
            "--unit", unit, "--organisation", "Sở Y tế", "--password-stdin", stdout=out,
        )  # fmt: skip
    finally:
        sys.stdin = real
    return out.getvalue()


def test_the_first_administrator_is_created_with_an_event(world: World) -> None:
    output = _create("root1", "98")
    assert "root1 created" in output
    profile = StaffProfile.objects.get(user__username="root1")
    assert profile.role == Role.ADMINISTRATOR
    assert profile.scope_unit.code == "98"
    assert profile.user.check_password(PASSWORD)
    assert profile.user.created_by is None  # the server: a chain of its own
    created = Event.objects.get(action=AccountAction.ACCOUNT_CREATED, object_id=profile.user.pk)
    assert created.actor is None
    # A second administrator joins the same office.
    _create("root2", "98")
    assert Organisation.objects.filter(name="Sở Y tế").count() == 1


def test_an_unknown_unit_or_a_weak_password_is_refused(world: World) -> None:
    with pytest.raises(CommandError, match="load the units|nạp danh sách đơn vị"):
        _create("root1", "12345")
    with pytest.raises(CommandError, match="too short|quá ngắn"):
        _create("root1", "98", password="short")
    assert not StaffProfile.objects.filter(user__username="root1").exists()
