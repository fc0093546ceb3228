"""The demo province that ``make run`` loads: built once, accounts printed."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from accounts import totp
from accounts.models import TOTPDevice, User
from cases import access
from cases.models import AdministrativeUnit, StaffProfile


def test_seed_demo_builds_once_and_prints_accounts(db: None) -> None:
    out = io.StringIO()
    call_command("seed_demo", "--people", "30", stdout=out)
    assert "Demo data created." in out.getvalue()
    for username in ("lan", "tuan", "minh", "hoa", "an", "quan"):
        assert f"  {username} " in out.getvalue()
    assert "demo-Hoa-Nhap-2026" in out.getvalue()
    assert AdministrativeUnit.objects.filter(path__startswith="/99/").count() == 11
    lan = User.objects.get(username="lan")
    assert lan.check_password("demo-Hoa-Nhap-2026")
    assert 0 < access.visible_cases(lan).count() < 30
    assert access.visible_people(User.objects.get(username="hoa")).count() == 30
    # Each account is enrolled, and the printed secret gives codes the device accepts.
    for line in out.getvalue().splitlines():
        fields = line.split()
        if fields and fields[0] in ("lan", "tuan", "minh", "hoa", "an", "quan"):
            user = User.objects.get(username=fields[0])
            secret = fields[3]
            device = TOTPDevice.objects.get(user=user, confirmed=True)
            assert device.verify_token(totp.code(secret))
    again = io.StringIO()
    call_command("seed_demo", stdout=again)
    assert "already present" in again.getvalue()


def test_the_demo_has_a_rehab_caseworker_a_nurse_and_a_prescriber_with_full_names(
    db: None,
) -> None:
    """Issue 23 "Demo": the rehab facility has its own caseworker, the methadone clinic a
    nurse and a prescribing doctor, and every account a full (fictitious) Vietnamese name."""
    from services.methadone.models import Prescription

    out = io.StringIO()
    call_command("seed_demo", "--people", "60", stdout=out)
    for username in ("duc", "hung"):
        assert f"  {username} " in out.getvalue()
    for user in User.objects.filter(staff__isnull=False):
        assert len(user.display_name.split()) >= 3, user.username
        assert user.display_name in out.getvalue()
    profiles = {p.user.username: p for p in StaffProfile.objects.select_related("user")}
    assert profiles["hung"].organisation.type.code == "rehab-public"
    assert profiles["duc"].organisation == profiles["lan"].organisation
    assert profiles["duc"].may_prescribe and not profiles["lan"].may_prescribe
    prescribers = set(Prescription.objects.values_list("prescriber__username", flat=True))
    assert prescribers == {"duc"}


def test_seed_demo_refuses_outside_demo_mode(db: None, settings: object) -> None:
    settings.DEMO = False  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match="HOA_NHAP_DEMO"):
        call_command("seed_demo")
