"""Backups and the restore drill (issue 31, decision D52).

A backup is a seal, then a custom-format ``pg_dump``, with the seal's line written beside
the dump. Whoever holds a dump without the keys holds ciphertext only; the drill restores a
dump into a fresh database on the same PostgreSQL server, checks the chain there against the
seal kept outside the database, decrypts a sample, and fails on a tampered dump.

ASVS 14.2.4 (sensitive data in backups is protected), 16.4.2 (logs and audit records are
protected from modification), 16.4.3 (their integrity can be verified after a restore).
"""

from __future__ import annotations

import base64
import subprocess
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit import actions, backups
from cases.events import CaseAction
from cases.models import Person
from core import crypto
from tests.conftest import World

# The dump is taken by pg_dump, another session: the data must be committed.
transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)

REASON = "Gọi điện cho chị Trần Thị Bình, CCCD 010191000123, theo yêu cầu của công an"


def _connect(name: str) -> psycopg.Connection[Any]:
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=name, autocommit=True
    )


@pytest.fixture
def scratch() -> Iterator[list[str]]:
    """Names of databases a test creates; dropped afterwards whatever happened."""
    names: list[str] = []
    yield names
    for name in names:
        backups.database_drop(connection.settings_dict, name)


def _data(world: World, lan_person: Person, tuan_person: Person) -> None:
    """Case data with names and citizen IDs, history, and an event with a reason."""
    lan_person.full_name = "Trần Thị Bình Mới"  # a second history row
    lan_person.save()
    actions.record(
        actor=world.users["lan"], action=CaseAction.PERSON_READ, obj=lan_person, reason=REASON
    )


def _backup(tmp_path: Path) -> backups.Backup:
    return backups.backup_create(db=connection.settings_dict, directory=tmp_path, by="test")


def _drill(dump: Path, seal: Path, *extra: str) -> str:
    out = StringIO()
    call_command("restore_drill", str(dump), "--seal", str(seal), *extra, stdout=out)
    return out.getvalue()


def _plaintexts() -> list[str]:
    texts = ["Trần Thị Bình", "Lê Văn Cường", "010191000123", "014085000456", "0987654321"]
    texts += ["0911222333", "theo yêu cầu của công an"]
    # The same text decomposed, and folded as the blind indexes fold it.
    texts += [unicodedata.normalize("NFD", t) for t in texts]
    return [*texts, "tran thi binh", "le van cuong"]


def _key_texts(key: bytes) -> list[str]:
    return [
        base64.urlsafe_b64encode(key).decode().rstrip("="),
        base64.b64encode(key).decode().rstrip("="),
        key.hex(),
    ]


@transactional
def test_a_dump_without_the_keys_holds_ciphertext_only(
    world: World, lan_person: Person, tuan_person: Person, tmp_path: Path, scratch: list[str]
) -> None:
    """ASVS 14.2.4: names, citizen IDs, phones and reasons are not in the dump, nor keys."""
    _data(world, lan_person, tuan_person)
    made = _backup(tmp_path)

    # Every row of every table of the dump restored into a fresh database, as text.
    name = backups.drill_database_name(datetime.now(UTC))
    scratch.append(name)
    backups.database_create(connection.settings_dict, name)
    backups.dump_restore(connection.settings_dict, made.dump, name=name)
    with _connect(name) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        rows = {
            table: [r[0] for r in conn.execute(f'SELECT t::text FROM "{table}" t')]  # noqa: S608  # nosec B608
            for table in tables
        }
    restored = "\n".join(line for lines in rows.values() for line in lines).casefold()
    # The dump holds the data: the people, their history, the event and its ciphertexts.
    assert len(rows["cases_person"]) == 2
    assert len(rows["cases_historicalperson"]) >= 3
    assert any(crypto.VERSION + "$" in row for row in rows["audit_event"])
    assert restored.count(crypto.VERSION + "$") >= 10

    # The dump itself as SQL (the custom format is compressed: pg_restore writes it out).
    sql = subprocess.run(  # noqa: S603  # nosec B603
        [backups.pg_tool("pg_restore"), "--file", "-", str(made.dump)],
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert "COPY public.cases_person" in sql
    for text in _plaintexts():
        assert text.casefold() not in restored, text
        assert text.casefold() not in sql.casefold(), text

    keys = [key for _kid, key in crypto.key_ring().keys]
    for key in [*keys, settings.BLIND_INDEX_KEY, settings.AUDIT_CHAIN_KEY]:
        for text in _key_texts(key):
            assert text not in sql
            assert text not in restored


@transactional
def test_the_restore_drill_restores_checks_the_seal_and_decrypts_a_sample(
    world: World, lan_person: Person, tuan_person: Person, tmp_path: Path
) -> None:
    _data(world, lan_person, tuan_person)
    made = _backup(tmp_path)
    assert made.seal.read_text().strip() == made.seal_line
    seq = int(made.seal_line.split(" seal ")[1].split(":")[0])

    report = _drill(made.dump, made.seal)

    assert "audit chain: ok" in report
    assert f"seal kept outside the database: #{seq} " in report
    assert ": match" in report
    assert "change history: ok" in report
    assert "cases.Person 2" in report
    decrypted = int(report.split("sample decrypted: ")[1].split(" ")[0])
    assert decrypted >= 10
    assert ", 0 could not be decrypted" in report
    assert report.rstrip().endswith("restore drill: PASSED")
    # The drill's database is gone.
    with _connect(str(connection.settings_dict["NAME"])) as conn:
        left = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'hoa_nhap_drill%'")
        assert list(left) == []


def _tampered(made: backups.Backup, tmp_path: Path, scratch: list[str], sql: str) -> Path:
    """Restore the dump, change it as a superuser bypassing the triggers, dump it again."""
    name = backups.drill_database_name(datetime.now(UTC)) + "_t"
    scratch.append(name)
    backups.database_create(connection.settings_dict, name)
    backups.dump_restore(connection.settings_dict, made.dump, name=name)
    with _connect(name) as conn:
        conn.execute("SET session_replication_role = replica")
        changed = conn.execute(sql.encode()).rowcount
        assert changed > 0
    tampered = tmp_path / "tampered" / made.dump.name
    tampered.parent.mkdir()
    subprocess.run(  # noqa: S603  # nosec B603
        [backups.pg_tool("pg_dump"), "--format=custom", "--file", str(tampered)],
        env=backups.libpq_env(connection.settings_dict, name=name),
        check=True,
    )
    return tampered


@transactional
def test_the_drill_fails_on_a_dump_whose_audit_event_was_changed(
    world: World, lan_person: Person, tuan_person: Person, tmp_path: Path, scratch: list[str]
) -> None:
    """ASVS 16.4.3: the read of one person made to look like a read of another is caught."""
    _data(world, lan_person, tuan_person)
    made = _backup(tmp_path)
    tampered = _tampered(
        made,
        tmp_path,
        scratch,
        f"UPDATE audit_event SET person_id = '{tuan_person.id}' "
        f"WHERE person_id = '{lan_person.id}' AND action = 'person_read'",
    )

    out = StringIO()
    with pytest.raises(CommandError, match="restore drill FAILED"):
        call_command("restore_drill", str(tampered), "--seal", str(made.seal), stdout=out)
    report = out.getvalue()
    assert "audit chain: BROKEN: at event #" in report
    assert "(changed)" in report
    assert "NO MATCH" in report
    assert "restore drill: FAILED" in report


@transactional
def test_the_drill_fails_on_a_dump_whose_newest_events_and_seal_were_cut(
    world: World, lan_person: Person, tuan_person: Person, tmp_path: Path, scratch: list[str]
) -> None:
    """ASVS 16.4.3: a shorter chain is valid on its own; only the kept seal reveals the cut."""
    _data(world, lan_person, tuan_person)
    made = _backup(tmp_path)
    seq = int(made.seal_line.split(" seal ")[1].split(":")[0])
    tampered = _tampered(
        made,
        tmp_path,
        scratch,
        f"DELETE FROM audit_seal; DELETE FROM audit_link WHERE position >= {seq - 1}; "
        f"DELETE FROM audit_event e WHERE NOT EXISTS "
        f"(SELECT 1 FROM audit_link l WHERE l.event_id = e.id)",
    )

    out = StringIO()
    with pytest.raises(CommandError, match="restore drill FAILED"):
        call_command("restore_drill", str(tampered), "--seal", str(made.seal), stdout=out)
    report = out.getvalue()
    assert f"sealed event #{seq} is missing: the chain was cut" in report
    assert "NO MATCH" in report


@transactional
def test_the_drill_without_the_key_ring_decrypts_nothing(
    world: World,
    lan_person: Person,
    tuan_person: Person,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ASVS 14.2.4: a dump restored with another key ring reads as ciphertext only."""
    _data(world, lan_person, tuan_person)
    made = _backup(tmp_path)
    other = "other:" + crypto.new_key()
    monkeypatch.setenv("HOA_NHAP_ENCRYPTION_KEYS", other)  # the drill's check process reads it

    out = StringIO()
    with pytest.raises(CommandError, match="restore drill FAILED"):
        call_command("restore_drill", str(made.dump), "--seal", str(made.seal), stdout=out)
    report = out.getvalue()
    assert "sample decrypted: 0 values in 0 models" in report
    assert "not in HOA_NHAP_ENCRYPTION_KEYS" in report  # the chain names the missing key


def test_a_seal_file_must_hold_seal_lines(tmp_path: Path) -> None:
    kept = tmp_path / "kept.seal"
    kept.write_text(
        "# seals sent to the inspectorate\n"
        f"2026-12-05T01:00:00+00:00 seal 41:{'a' * 64}\n\n"
        f"57:{'B' * 64}\n"
    )
    assert backups.seals_read(kept) == [(41, "a" * 64), (57, "b" * 64)]
    kept.write_text(f"2026-12-05 seal 41:{'a' * 63}\n")
    with pytest.raises(backups.BackupError, match="not a seal line"):
        backups.seals_read(kept)
    kept.write_text("# nothing yet\n")
    with pytest.raises(backups.BackupError, match="no seal"):
        backups.seals_read(kept)


def test_retention_keeps_the_last_days_and_the_first_dump_of_each_month() -> None:
    def at(month: int, day: int, hour: int = 2) -> datetime:
        return datetime(2026, month, day, hour, tzinfo=UTC)

    taken = [at(m, d) for m in (9, 10, 11) for d in (1, 15)] + [at(12, d) for d in range(1, 7)]
    taken.append(at(12, 6, 14))
    gone = backups.dumps_to_prune(taken, now=at(12, 6, 15), daily=3, monthly=3)
    assert gone == [at(9, 1), at(9, 15), at(10, 15), at(11, 15), at(12, 2), at(12, 3)]


def test_pruning_deletes_the_dumps_let_go_and_keeps_every_seal(tmp_path: Path) -> None:
    now = datetime(2026, 12, 6, 3, tzinfo=UTC)
    taken = [datetime(2026, m, d, 1, 30, tzinfo=UTC) for m, d in ((10, 1), (10, 2), (12, 6))]
    for at in taken:
        dump = backups.dump_path(tmp_path, at)
        dump.write_bytes(b"dump")
        dump.with_suffix(backups.SEAL_SUFFIX).write_text("seal\n")
    (tmp_path / "notes.txt").write_text("not a dump")

    gone = backups.backups_prune(directory=tmp_path, now=now, daily=1, monthly=3)

    assert gone == [backups.dump_path(tmp_path, taken[1])]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "hoa-nhap-20261001T013000Z.dump",
        "hoa-nhap-20261001T013000Z.seal",
        "hoa-nhap-20261002T013000Z.seal",
        "hoa-nhap-20261206T013000Z.dump",
        "hoa-nhap-20261206T013000Z.seal",
        "notes.txt",
    ]


@transactional
def test_the_command_backs_up_into_the_configured_directory_and_prunes(
    settings: Any, tmp_path: Path
) -> None:
    settings.BACKUP_DIR = tmp_path / "backups"
    old = backups.dump_path(settings.BACKUP_DIR, datetime(2025, 1, 2, 1, 30, tzinfo=UTC))
    old.parent.mkdir()
    old.write_bytes(b"an old dump")
    out = StringIO()

    call_command("backup_database", "--keep-monthly", "1", stdout=out)

    [dump] = sorted(settings.BACKUP_DIR.glob("*.dump"))
    [seal] = sorted(settings.BACKUP_DIR.glob("*.seal"))
    assert dump.stat().st_mode & 0o777 == 0o600
    assert f"dump {dump} (" in out.getvalue()
    assert seal.read_text() in out.getvalue().replace("  (also in", "\n  (also in")
    assert f"pruned {old.name}" in out.getvalue()
