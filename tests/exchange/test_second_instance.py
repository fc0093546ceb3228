"""Province A transfers a person to province B, a second Hòa Nhập instance with its own
PostgreSQL database, run as a separate process (issue 32, docs/exchange.md, D60).

A is this test's ``live_server``; B is ``manage.py`` (and ``tests/exchange/instance_b.py``)
in subprocesses with ``DATABASE_URL`` naming another database on the same throwaway server.
B pulls A's document through A's API with A's machine client token, or takes a file.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess  # nosec B404  (our own manage.py, fixed arguments)
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from audit.editing import save_edit
from cases import moves
from cases.choices import UnitLevel
from cases.events import CaseAction
from cases.models import AdministrativeUnit, Person
from core.editing import OVERRIDE
from exchange import signing
from services.models import TreatmentEpisode
from tests.api.support import make_client
from tests.conftest import World
from tests.exchange.support import SOURCE, add_records, key_pair

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 300


@pytest.fixture
def instance_b() -> Iterator[dict[str, str]]:
    """Create province B's database, migrate it and load B's units, clinic and user."""
    server = os.environ["DATABASE_URL"]
    name = f"hoa_nhap_b_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')  # nosec B608  (our own random name)
    env = {
        **os.environ,
        "DATABASE_URL": server.rsplit("/", 1)[0] + f"/{name}",
        "HOA_NHAP_DEMO": "1",
        "HOA_NHAP_EXCHANGE_INSTANCE": "tinh-99",
        "HOA_NHAP_EXCHANGE_TRUSTED": "{}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    try:
        _run(env, "manage.py", "migrate", "--noinput")
        _run(env, "-m", "tests.exchange.instance_b", "setup")
        yield env
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # nosec B608


def _run(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(  # noqa: S603  # nosec B603
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"{args} failed:\n{done.stdout}\n{done.stderr}")
    return done


def _state(env: dict[str, str], person: Person) -> dict[str, Any]:
    out = _run(env, "-m", "tests.exchange.instance_b", "state", str(person.pk)).stdout
    return dict(json.loads(out))


def _pull(env: dict[str, str], url: str, token: str) -> subprocess.CompletedProcess[str]:
    return _run(
        {**env, "HOA_NHAP_EXCHANGE_TOKEN": token},
        "manage.py",
        "import_exchange",
        "--url",
        url,
        "--user",
        "binh",
        check=False,
    )


def _take_file(env: dict[str, str], path: Path) -> subprocess.CompletedProcess[str]:
    return _run(env, "manage.py", "import_exchange", str(path), "--user", "binh", check=False)


# Transactional (live_server): keep the migrations' reference data for the tests after it.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_province_a_transfers_a_person_to_province_b(
    live_server: Any,
    world: World,
    lan_person: Person,
    settings: Any,
    instance_b: dict[str, str],
    tmp_path: Path,
) -> None:
    """B ends with the person, their case and records, history naming the exchange and its
    source; a second pull changes nothing; a later change in A arrives on the next pull; a
    tampered or schema-invalid file is refused and writes nothing; a document for a commune
    outside binh's scope is refused and logged (ASVS 2.2.1, 8.2.2, 16.3.2)."""
    # A: this process. It signs as "tinh-98"; B trusts that name with A's public key.
    private, public = key_pair()
    settings.EXCHANGE_INSTANCE = SOURCE
    settings.EXCHANGE_SIGNING_KEY = private
    env = {**instance_b, "HOA_NHAP_EXCHANGE_TRUSTED": json.dumps({SOURCE: public})}
    province_b = AdministrativeUnit.objects.create(code="99", name="B", level=UnitLevel.PROVINCE)
    district_b = AdministrativeUnit.objects.create(
        code="991", name="B1", level=UnitLevel.DISTRICT, parent=province_b
    )
    commune_b = AdministrativeUnit.objects.create(
        code="99101", name="B11", level=UnitLevel.COMMUNE, parent=district_b
    )
    add_records(world, lan_person)
    moves.move_record(
        actor=world.users["lan"],
        person_id=lan_person.pk,
        to_commune=commune_b,
        moved_on=timezone.localdate(),
        source="person",
    )
    _client, token = make_client(world, "tinh-99-pull")
    url = f"{live_server.url}/api/v1/exchange/people/{lan_person.pk}"

    # The first pull: the person, their case and its four records arrive in B.
    first = _pull(env, url, token)
    assert first.returncode == 0, first.stderr
    assert "6 created" in first.stdout
    taken = _state(env, lan_person)
    assert taken["people"] == 1
    assert taken["person"]["full_name"] == "Trần Thị Bình"
    assert taken["person"]["commune"] == "99101"
    assert taken["cases"] == [{"status": "open", "organisation": "Methadone C"}]
    assert [r["kind"] for r in taken["records"]] == ["episode", "referral", "screening", "service"]
    named = f"exchange:{SOURCE}"
    assert set(taken["history"]["person"]) == {named}
    assert set(taken["history"]["cases"]) == {named}
    assert set(taken["history"]["records"]) == {named}
    assert ["exchange_imported", named, "", ""] in taken["events"]

    # A second pull of the same state changes nothing.
    again = _pull(env, url, token)
    assert again.returncode == 0, again.stderr
    assert "0 created, 0 updated, 6 unchanged" in again.stdout
    assert _state(env, lan_person) == taken

    # A later change in A arrives on the next pull.
    lan_person.phone = "0987000111"
    save_edit(
        actor=world.users["lan"],
        instance=lan_person,
        action=CaseAction.PERSON_CHANGED,
        if_version=OVERRIDE,
    )
    TreatmentEpisode.objects.filter(case__person=lan_person).update(
        ended_on=datetime.date(2026, 11, 30), outcome="completed", version=F("version") + 1
    )
    later = _pull(env, url, token)
    assert later.returncode == 0, later.stderr
    assert "2 updated" in later.stdout
    changed = _state(env, lan_person)
    assert changed["person"]["phone"] == "0987000111"
    episode = next(r for r in changed["records"] if r["kind"] == "episode")
    assert episode["data"]["outcome"] == "completed"
    assert changed["people"] == 1

    # A file changed after A signed it: refused with a clear error; nothing written.
    exported = tmp_path / "person.json"
    call_command("export_exchange", str(lan_person.pk), "--user", "lan", "--output", exported)
    document = json.loads(exported.read_text(encoding="utf-8"))
    tampered = json.loads(json.dumps(document))
    tampered["person"]["identity"]["phone"] = "0900000000"
    (tmp_path / "tampered.json").write_text(json.dumps(tampered), encoding="utf-8")
    refused = _take_file(env, tmp_path / "tampered.json")
    assert refused.returncode != 0
    assert "refused (bad_signature)" in refused.stderr
    assert "signature does not match" in refused.stderr

    # A schema-invalid document, though A signed it: refused, the field named.
    invalid = json.loads(json.dumps(document))
    invalid["cases"][0]["opened_on"] = "not a date"
    (tmp_path / "invalid.json").write_text(json.dumps(signing.sign(invalid)), encoding="utf-8")
    refused = _take_file(env, tmp_path / "invalid.json")
    assert refused.returncode != 0
    assert "refused (invalid)" in refused.stderr
    assert "cases.0.opened_on" in refused.stderr

    # A document sending the person to a commune outside binh's scope: refused and logged.
    elsewhere = json.loads(json.dumps(document))
    elsewhere["transfer"] = {"to_commune": "98102", "moved_on": "2026-11-20"}
    (tmp_path / "elsewhere.json").write_text(json.dumps(signing.sign(elsewhere)), "utf-8")
    refused = _take_file(env, tmp_path / "elsewhere.json")
    assert refused.returncode != 0
    assert "refused (out_of_scope)" in refused.stderr

    after = _state(env, lan_person)
    assert {k: v for k, v in after.items() if k != "events"} == {
        k: v for k, v in changed.items() if k != "events"
    }
    events = after["events"]
    assert ["exchange_refused", "", "bad_signature", ""] in events
    assert ["exchange_refused", "", "invalid", ""] in events
    assert ["denied", "", "", "98102"] in events
