"""The log scan the browser suite runs at its end (tests/browser/logscan.py, decision D52)
finds a planted name or token, and misses nothing the JSON formatter let through.

ASVS 16.2.5 (sensitive data is not logged).
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

import pytest

from accounts.models import User
from cases import invitations
from cases.choices import Role
from cases.models import StaffProfile
from cases.roles import staff_profile_save
from tests.browser.logscan import LogScan
from tests.cases.test_invitations import _code, _create
from tests.conftest import World
from tests.factories import make_person, make_user


def test_the_scan_finds_a_name_a_log_line_carried(world: World, tmp_path: Path) -> None:
    scan = LogScan(tmp_path / "log.jsonl")
    with scan.attached():
        person = make_person(
            full_name="Phạm Thị Rò Rỉ",
            citizen_id="001199012345",
            residence_commune=world.units["c1"],
            registered_by=world.orgs["clinic_a"],
        )
        logging.getLogger("hoa_nhap.test").warning(
            "opened %s (%s)", person.full_name, person.citizen_id
        )
    assert scan.known["Phạm Thị Rò Rỉ"] == "person full_name"
    assert scan.known[str(person.pk)] == "person id"
    [hit] = scan.hits()  # the number was scrubbed by the formatter; the name was not
    assert "person full_name 'Phạm Thị Rò Rỉ'" in hit


def test_the_scan_finds_a_token_written_unscrubbed(tmp_path: Path) -> None:
    scan = LogScan(tmp_path / "log.jsonl")
    with scan.attached():
        token = secrets.token_urlsafe(32)
        logging.getLogger("hoa_nhap.test").warning("link /staff/welcome/%s/", token)
    assert scan.known[token] == "token"
    assert scan.hits() == []  # the formatter replaced it with <token>
    assert "<token>" in scan.path.read_text()
    with scan.path.open("a") as log:  # a writer without the formatter
        log.write(f'{{"message": "GET /staff/welcome/{token}/"}}\n')
    [hit] = scan.hits()
    assert f"token {token!r}" in hit
    assert secrets.token_urlsafe is not None
    assert scan.known.get(secrets.token_urlsafe(32)) is None  # noting ends with the block


def test_the_scan_notes_people_saved_through_any_path(world: World, tmp_path: Path) -> None:
    scan = LogScan(tmp_path / "log.jsonl")
    with scan.attached():
        person = make_person(
            full_name="Đỗ Văn Ghi",
            phone="0912345678",
            residence_commune=world.units["c1"],
            registered_by=world.orgs["clinic_a"],
        )
    make_person(
        full_name="Sau Khi Tắt",
        residence_commune=world.units["c1"],
        registered_by=world.orgs["clinic_a"],
    )
    assert {"Đỗ Văn Ghi", "0912345678", str(person.pk), person.pk.hex} <= set(scan.known)
    assert "Sau Khi Tắt" not in scan.known


@pytest.fixture
def thu(world: World) -> User:
    """A second administrator, who hands over the activation code."""
    user = make_user("thu", first_name="Lê Thị", last_name="Thu")
    profile = StaffProfile(
        user=user,
        organisation=world.orgs["social"],
        role=Role.ADMINISTRATOR,
        scope_unit=world.units["province"],
    )
    staff_profile_save(actor=None, profile=profile)
    return user


def test_the_scan_notes_the_invitation_link_and_activation_code_handed_over(
    world: World, thu: User, tmp_path: Path
) -> None:
    scan = LogScan(tmp_path / "log.jsonl")
    with scan.attached():
        link = _create(world)
        code = _code(thu)
    token = link.removeprefix("/staff/welcome/").strip("/")
    assert scan.known[token] == "token"
    assert scan.known[code] == scan.known[code.replace("-", "")] == "activation code"
    assert invitations.invitation_code_issue.__name__ == "invitation_code_issue"  # restored
