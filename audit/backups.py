"""Backups of the database and the restore drill (issue 31, decision D52).

A backup is a seal of the audit chain, then ``pg_dump --format=custom`` of the whole database;
the seal's line is written beside the dump (``<dump>.seal``), to be kept elsewhere as well
(docs/operations.md, "Backups"). The keys are in neither: encrypted fields, reasons and
history stay ciphertext in a dump, and a dump cannot be read, nor its chain checked, without
the key ring, which is backed up on its own.

The drill restores a dump into a fresh database and checks it there (``restore_check``): the
audit chain against the seals kept outside the database, the history checkpoints, and a
sample of every encrypted field decrypted with the key ring.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess  # nosec B404: runs the PostgreSQL client tools with argument lists, no shell
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.db import transaction
from django.db.models import Model

from core import crypto

from . import actions, append_only, chain
from .rotation import encrypted_models

DUMP_PREFIX = "hoa-nhap-"
DUMP_SUFFIX = ".dump"
SEAL_SUFFIX = ".seal"
_STAMP = "%Y%m%dT%H%M%SZ"
_SEAL_LINE = re.compile(r"(?:^|\s)(\d+):([0-9a-fA-F]{64})\s*$")


class BackupError(Exception):
    """A PostgreSQL tool failed, or a seal file cannot be read."""


# ---------------------------------------------------------------------------------------
# The PostgreSQL client tools


def pg_tool(name: str) -> str:
    """Return the path of a PostgreSQL client tool (``HOA_NHAP_PG_BINDIR`` first)."""
    bindir = os.environ.get("HOA_NHAP_PG_BINDIR")
    if bindir:
        return str(Path(bindir) / name)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: install postgresql-client or set HOA_NHAP_PG_BINDIR")
    return found


def libpq_env(db: Mapping[str, Any], *, name: str | None = None) -> dict[str, str]:
    """Return the environment that points libpq at a Django database (no password in argv)."""
    env = dict(os.environ)
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[variable] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    env["PGDATABASE"] = name or str(db["NAME"])
    return env


def _run(args: list[str], *, env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed ({done.returncode}): {done.stderr.strip()}")


def database_url(db: Mapping[str, Any], *, name: str) -> str:
    """Return a postgres:// URL for another database on the same server as ``db``."""
    auth = quote(str(db.get("USER") or ""))
    if db.get("PASSWORD"):
        auth += ":" + quote(str(db["PASSWORD"]), safe="")
    host = str(db.get("HOST") or "")
    if host.startswith("/"):  # a socket directory
        return f"postgres://{auth}@/{quote(name)}?host={quote(host, safe='')}"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{quote(name)}"


def _admin(db: Mapping[str, Any], statement: str) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE) on the server."""
    import psycopg

    params = {
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "dbname": db["NAME"],
    }
    with psycopg.connect(autocommit=True, **{k: v for k, v in params.items() if v}) as conn:
        conn.execute(statement.encode())


def database_create(db: Mapping[str, Any], name: str) -> None:
    """Create an empty database ``name`` on the server of ``db``."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise BackupError(f"not a plain database name: {name!r}")
    _admin(db, f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'")


def database_drop(db: Mapping[str, Any], name: str) -> None:
    """Drop the database ``name`` (its connections are ended first)."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise BackupError(f"not a plain database name: {name!r}")
    _admin(db, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def dump_restore(db: Mapping[str, Any], dump: Path, *, name: str) -> None:
    """Restore a custom-format dump into the (empty) database ``name``."""
    args = [pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
    _run([*args, "--dbname", name, str(dump)], env=libpq_env(db, name=name))


# ---------------------------------------------------------------------------------------
# Taking a backup


@dataclass(frozen=True)
class Backup:
    dump: Path
    seal: Path
    seal_line: str


def dump_path(directory: Path, at: datetime) -> Path:
    return directory / f"{DUMP_PREFIX}{at.astimezone(UTC).strftime(_STAMP)}{DUMP_SUFFIX}"


def dump_time(path: Path) -> datetime | None:
    """Return when a dump named by ``dump_path`` was taken (None for another file)."""
    name = path.name
    if not (name.startswith(DUMP_PREFIX) and name.endswith(DUMP_SUFFIX)):
        return None
    try:
        return datetime.strptime(
            name[len(DUMP_PREFIX) : -len(DUMP_SUFFIX)] + "+0000", "%Y%m%dT%H%M%SZ%z"
        )
    except ValueError:
        return None


def backup_create(*, db: Mapping[str, Any], directory: Path, by: str) -> Backup:
    """Seal the audit chain, dump the database after it and write the seal beside the dump.

    The seal is taken first, so the dump holds the sealed chain; the seal file lets a
    restore drill check the dump's chain against a line kept outside the database.
    """
    directory.mkdir(parents=True, exist_ok=True)
    with transaction.atomic():
        append_only.history_checkpoint(by=by)
        seal = actions.seal_create(actor=None)
    seal_line = f"{seal.at.isoformat()} seal {seal.token}"
    dump = dump_path(directory, seal.at)
    partial = dump.with_name(dump.name + ".partial")
    old_umask = os.umask(0o077)  # the dump is ciphertext, but still nobody else's to read
    try:
        _run(
            [pg_tool("pg_dump"), "--format=custom", "--file", str(partial)],
            env=libpq_env(db),
        )
        partial.replace(dump)
        seal_file = dump.with_name(dump.name[: -len(DUMP_SUFFIX)] + SEAL_SUFFIX)
        seal_file.write_text(seal_line + "\n", encoding="utf-8")
    finally:
        os.umask(old_umask)
        partial.unlink(missing_ok=True)
    return Backup(dump=dump, seal=seal_file, seal_line=seal_line)


def dumps_to_prune(
    taken: Iterable[datetime], *, now: datetime, daily: int, monthly: int
) -> list[datetime]:
    """Return the dumps retention lets go: kept are every dump of the last ``daily`` days
    and the first dump of each of the last ``monthly`` months (this one included)."""
    taken = sorted(taken)
    today = now.astimezone(UTC).date()
    this_month = today.year * 12 + today.month - 1
    first_of_month: dict[int, datetime] = {}
    for at in taken:
        first_of_month.setdefault(at.year * 12 + at.month - 1, at)
    kept = {at for at in taken if (today - at.astimezone(UTC).date()).days < daily}
    kept |= {at for month, at in first_of_month.items() if this_month - month < monthly}
    return [at for at in taken if at not in kept]


def backups_prune(*, directory: Path, now: datetime, daily: int, monthly: int) -> list[Path]:
    """Delete the dumps retention lets go; seal files are kept (they are small, and proof)."""
    dumps = {
        at: path
        for path in directory.glob(f"{DUMP_PREFIX}*{DUMP_SUFFIX}")
        if (at := dump_time(path))
    }
    gone = [dumps[at] for at in dumps_to_prune(dumps, now=now, daily=daily, monthly=monthly)]
    for path in gone:
        path.unlink()
    return gone


# ---------------------------------------------------------------------------------------
# Checking a restored database


def seals_read(path: Path) -> list[tuple[int, str]]:
    """Return the seals of a seal file: lines ``<time> seal SEQ:HASH`` (or ``SEQ:HASH``)."""
    seals = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        found = _SEAL_LINE.search(line)
        if found is None:
            raise BackupError(f"{path}:{number}: not a seal line: {line.strip()[:80]!r}")
        seals.append((int(found.group(1)), found.group(2).lower()))
    if not seals:
        raise BackupError(f"{path}: no seal in the file")
    return seals


@dataclass
class Sample:
    model: str
    rows: int
    values: int = 0
    failures: list[str] = field(default_factory=list)


@dataclass
class RestoreReport:
    chain_ok: bool
    chain_message: str
    events: int
    pending: int
    last_seal: tuple[int, str]
    seal_ok: bool
    history_ok: bool
    history_message: str
    samples: list[Sample]

    @property
    def decrypted(self) -> int:
        return sum(s.values for s in self.samples)

    @property
    def undecryptable(self) -> int:
        return sum(len(s.failures) for s in self.samples)

    @property
    def ok(self) -> bool:
        return self.chain_ok and self.seal_ok and self.history_ok and not self.undecryptable

    def lines(self) -> list[str]:
        seq, head_hash = self.last_seal
        lines = [
            f"rows: {', '.join(f'{s.model} {s.rows}' for s in self.samples if s.rows)}",
            f"audit events chained: {self.events}"
            + (f" (+{self.pending} written after the last link)" if self.pending else ""),
            f"audit chain: {'ok' if self.chain_ok else 'BROKEN'}: {self.chain_message}",
            f"seal kept outside the database: #{seq} {head_hash[:16]}…: "
            + ("match" if self.seal_ok else "NO MATCH"),
            f"change history: {'ok' if self.history_ok else 'BROKEN'}: {self.history_message}",
            f"sample decrypted: {self.decrypted} values in "
            f"{sum(1 for s in self.samples if s.values)} models, "
            f"{self.undecryptable} could not be decrypted",
        ]
        for sample in self.samples:
            lines.extend(f"  {sample.model}: {failure}" for failure in sample.failures[:3])
        lines.append("restore drill: " + ("PASSED" if self.ok else "FAILED"))
        return lines


def _sample(model: type[Model], attnames: list[str], size: int) -> Sample:
    rows = model._default_manager.all()
    found = Sample(model._meta.label, rows.count())
    # By primary key (UUIDs mostly: a spread sample), not ORDER BY random(): no full sort.
    for row in rows.order_by("pk")[:size]:
        for attname in attnames:
            if row.__dict__.get(attname) is None:
                continue  # an empty field: nothing to decrypt
            try:
                str(getattr(row, attname))
            except crypto.DecryptionError as error:
                found.failures.append(f"{attname} of row {row.pk}: {error}")
            else:
                found.values += 1
    return found


def restore_check(*, seals: list[tuple[int, str]], sample: int) -> RestoreReport:
    """Check the database this process uses, as restored: read only, writes nothing."""
    verdict = chain.verify(extra_seals=seals)
    last = max(seals)
    broken = verdict.first_break
    seal_ok = broken is None or broken.kind != "seal"
    # A chain broken before the seal's event never reached it: the seal is unproven.
    if broken is not None and broken.seq <= last[0]:
        seal_ok = False
    missing = append_only.history_missing()
    return RestoreReport(
        chain_ok=broken is None,
        chain_message=(
            f"{verdict.count} events, head #{verdict.head_seq}"
            if broken is None
            else f"at event #{broken.seq} ({broken.kind}): {broken.message}"
        ),
        events=verdict.count,
        pending=verdict.pending,
        last_seal=last,
        seal_ok=seal_ok,
        history_ok=not missing,
        history_message="; ".join(m.message for m in missing) or "no rows removed",
        samples=[
            _sample(model, [f.attname for f in fields], sample)
            for model, fields in encrypted_models()
        ],
    )


def drill_database_name(at: datetime) -> str:
    """Return a fresh database's name for a drill started at ``at``."""
    return f"hoa_nhap_drill_{at.astimezone(UTC).strftime('%Y%m%d%H%M%S')}_{os.getpid()}"
