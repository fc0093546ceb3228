"""Point-in-time recovery, tried (issue 31, decision D52; docs/operations.md).

A throwaway PostgreSQL cluster of its own, with WAL archiving on as the operations guide
sets it: a base backup, rows written, the time noted, more rows written, the WAL archived;
then the base backup recovered to the noted time from the archive. The first rows are there,
the later ones are not. Runs as ``postgres`` when the suite runs as root (PostgreSQL refuses
root), as ``scripts/with-postgres`` does. About 10 s.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import psycopg
import pytest


def _bindir() -> Path:
    try:
        found = subprocess.run(  # noqa: S603  # nosec B603 B607: the PostgreSQL tool, no shell
            ["pg_config", "--bindir"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        found = ""
    if found and (Path(found) / "pg_basebackup").exists() and (Path(found) / "initdb").exists():
        return Path(found)
    return Path("/usr/lib/postgresql/15/bin")


BIN = _bindir()
AS_POSTGRES = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _run(*args: str | Path) -> None:
    command = [*AS_POSTGRES, *(str(a) for a in args)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _configure(data: Path, **settings: str) -> None:
    with (data / "postgresql.auto.conf").open("a", encoding="utf-8") as conf:
        for name, value in settings.items():
            conf.write(f"{name} = '{value}'\n")


class Cluster:
    def __init__(self, data: Path, root: Path) -> None:
        self.data, self.root, self.port = data, root, _free_port()

    def start(self) -> None:
        _configure(self.data, port=str(self.port), listen_addresses="127.0.0.1")
        _configure(self.data, unix_socket_directories=str(self.root), fsync="off")
        _run(BIN / "pg_ctl", "-D", self.data, "-l", self.root / f"{self.data.name}.log",
             "-w", "-t", "60", "start")  # fmt: skip

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            _run(BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        )


@pytest.fixture
def root() -> Iterator[Path]:
    """A directory the postgres user owns (pytest's own is root's, mode 0700)."""
    path = Path(tempfile.mkdtemp(prefix="pitr-", dir=os.environ.get("TMPDIR", "/tmp")))  # noqa: S108
    if AS_POSTGRES:
        shutil.chown(path, "postgres", "postgres")
    yield path
    for data in (path / "data", path / "restored"):
        if (data / "postmaster.pid").exists():
            subprocess.run(  # noqa: S603
                [*AS_POSTGRES, str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                capture_output=True,
                check=False,
            )
    shutil.rmtree(path, ignore_errors=True)


def _wait_archived(conn: psycopg.Connection[tuple[object, ...]], segment: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        row = conn.execute("SELECT last_archived_wal FROM pg_stat_archiver").fetchone()
        if row and row[0] and str(row[0]) >= segment:
            return
        time.sleep(0.1)
    raise AssertionError(f"WAL segment {segment} was not archived within 30 s")


def test_a_base_backup_and_the_wal_archive_recover_to_a_chosen_time(root: Path) -> None:
    archive = root / "archive"
    _run("mkdir", archive)
    _run(BIN / "initdb", "-D", root / "data", "-U", "postgres", "-A", "trust", "--no-sync")
    # What docs/operations.md ("Point-in-time recovery") asks of the live server.
    _configure(
        root / "data",
        wal_level="replica",
        archive_mode="on",
        archive_command=f"test ! -f {archive}/%f && cp %p {archive}/%f",
    )
    live = Cluster(root / "data", root)
    live.start()
    try:
        _run(BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", str(live.port), "-U", "postgres",
             "-D", root / "restored", "--checkpoint=fast", "--no-sync")  # fmt: skip
        with live.connect() as conn:
            conn.execute("CREATE TABLE written (n int PRIMARY KEY)")
            conn.execute("INSERT INTO written SELECT generate_series(1, 3)")
            time.sleep(0.5)
            target = conn.execute("SELECT clock_timestamp()").fetchone()
            assert target is not None and isinstance(target[0], datetime)
            time.sleep(0.5)
            conn.execute("INSERT INTO written SELECT generate_series(4, 6)")
            segment = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()
            assert segment is not None
            _wait_archived(conn, str(segment[0]))
    finally:
        live.stop()
    shutil.rmtree(root / "data", ignore_errors=True)  # the server is lost

    # Recovery: the base backup, the archive, and the time to stop at.
    restored = Cluster(root / "restored", root)
    _configure(
        restored.data,
        archive_mode="off",
        restore_command=f"cp {archive}/%f %p",
        recovery_target_time=target[0].isoformat(),
        recovery_target_action="promote",
    )
    _run("touch", restored.data / "recovery.signal")
    restored.start()
    try:
        with restored.connect() as conn:
            deadline = time.monotonic() + 30
            while conn.execute("SELECT pg_is_in_recovery()").fetchone() != (False,):
                assert time.monotonic() < deadline, "recovery did not end within 30 s"
                time.sleep(0.1)
            rows = [r[0] for r in conn.execute("SELECT n FROM written ORDER BY n")]
    finally:
        restored.stop()
    assert rows == [1, 2, 3]
