"""Where an uploaded register file waits for its import: one sealed file per import id.

The directory is ``REGISTER_IMPORT_DIR`` (default: a folder under the system's temporary
directory, readable by the application's user only). A register is a list of the most
sensitive people, so it is never kept in clear (decision D44): each file is sealed with
AES-256-GCM under a data key of its own, bound to the import's id (the envelope of
``documents.files``), and the data key is kept in ``RegisterImport.data_key``, an encrypted
field, so the key ring wraps it and key rotation re-wraps it. The plaintext exists only in
the memory of the process reading it (``reading.StoredFile``; page uploads are at most
50 MB).

A file is removed once its import has been written; a refused or checked file stays for
``REGISTER_IMPORT_KEEP_HOURS`` (the user may fix the decisions, download the rejected rows
or run it again), then ``discard_expired`` removes it (run at each new upload).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.utils import timezone

from core.crypto import DecryptionError
from documents.files import new_data_key, seal, unseal

__all__ = ["new_data_key"]  # also the export's key (export_jobs)

from .reading import StoredFile

ROLE = "register-import"  # what the sealed bytes are, bound into their authentication
KEEP_HOURS = 24  # a refused or checked file is kept this long for the user to act on


def directory() -> Path:
    """Return the import directory, created with owner-only permissions."""
    configured = getattr(settings, "REGISTER_IMPORT_DIR", "")
    path = Path(configured) if configured else Path(tempfile.gettempdir()) / "hoa-nhap-imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def path_of(import_id: str) -> Path:
    """Return where the file of an import lies (the id is a UUID: no path can be injected)."""
    return directory() / str(UUID(str(import_id)))


def exists(import_id: str) -> bool:
    return path_of(import_id).exists()


def store(import_id: str, source: BinaryIO) -> tuple[str, str]:
    """Seal an uploaded file into the directory under the import's id.

    Return (the new data key, to keep in ``RegisterImport.data_key``; the SHA-256 of the
    file as uploaded).
    """
    source.seek(0)
    data = source.read()
    data_key = new_data_key()
    sealed = seal(data, data_key=data_key, document_id=UUID(str(import_id)), role=ROLE)
    target = path_of(import_id)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(sealed)
    return data_key, hashlib.sha256(data).hexdigest()


def load(import_id: str, data_key: str, name: str = "") -> StoredFile:
    """Return an import's file, decrypted in memory (``DecryptionError`` if tampered with)."""
    sealed = path_of(import_id).read_bytes()
    data = unseal(sealed, data_key=data_key, document_id=UUID(str(import_id)), role=ROLE)
    return StoredFile(name or str(import_id), data)


def discard(import_id: str) -> None:
    """Remove an import's file, if it is still there."""
    path_of(import_id).unlink(missing_ok=True)


def discard_expired(*, now: datetime.datetime | None = None) -> int:
    """Remove the files kept longer than ``REGISTER_IMPORT_KEEP_HOURS``; return how many."""
    hours = getattr(settings, "REGISTER_IMPORT_KEEP_HOURS", KEEP_HOURS)
    limit = (now or timezone.now()).timestamp() - hours * 3600
    removed = 0
    for path in directory().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # another process removed it first
    return removed


# --- finished export files: sealed as they are written --------------------------------
#
# An export of a province is too large to seal in memory, so it is sealed in chunks as the
# writer produces it: MAGIC, then per chunk a 4-byte length, a 12-byte nonce and the
# AES-256-GCM ciphertext of up to CHUNK bytes, authenticated with the export's id, the
# chunk's number and whether it is the last (a file cut short or reordered does not open).

EXPORT_ROLE = "register-export"
EXPORT_MAGIC = b"HNR1"
CHUNK = 1 << 20


def _chunk_aad(export_id: UUID, number: int, last: bool) -> bytes:
    return f"hoa-nhap|{EXPORT_ROLE}|v1|{export_id}|{number}|{int(last)}".encode()


class SealingWriter(io.RawIOBase):
    """A write-only, unseekable file that seals what is written to ``target`` in chunks."""

    def __init__(self, target: IO[bytes], *, data_key: str, export_id: UUID) -> None:
        super().__init__()
        self._target = target
        self._cipher = AESGCM(base64.urlsafe_b64decode(data_key))
        self._export_id = export_id
        self._buffer = bytearray()
        self._number = 0
        target.write(EXPORT_MAGIC)

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._buffer.extend(data)
        while len(self._buffer) > CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def _seal(self, chunk: bytes, *, last: bool) -> None:
        nonce = os.urandom(12)
        sealed = self._cipher.encrypt(nonce, chunk, _chunk_aad(self._export_id, self._number, last))
        self._target.write(len(sealed).to_bytes(4, "big") + nonce + sealed)
        self._number += 1

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self._buffer), last=True)
            self._buffer.clear()
        super().close()


def unsealed_chunks(path: Path, *, data_key: str, export_id: UUID) -> Iterator[bytes]:
    """Yield a sealed export file's plaintext chunk by chunk (``DecryptionError`` if it was
    changed, cut short or is not this export's)."""
    cipher = AESGCM(base64.urlsafe_b64decode(data_key))
    with path.open("rb") as handle:
        if handle.read(len(EXPORT_MAGIC)) != EXPORT_MAGIC:
            raise DecryptionError("not a sealed register export")
        number = 0
        while True:
            head = handle.read(4)
            if len(head) < 4:
                raise DecryptionError("the export file is cut short")
            nonce, sealed = handle.read(12), handle.read(int.from_bytes(head, "big"))
            last = handle.peek(1)[:1] == b""
            try:
                chunk = cipher.decrypt(nonce, sealed, _chunk_aad(export_id, number, last))
            except InvalidTag:
                raise DecryptionError("the export file does not authenticate") from None
            yield chunk
            if last:
                return
            number += 1


def discard_expired_exports(*, now: datetime.datetime | None = None) -> int:
    """Remove export files kept longer than ``REGISTER_EXPORT_KEEP_HOURS``; return how many."""
    hours = getattr(settings, "REGISTER_EXPORT_KEEP_HOURS", KEEP_HOURS)
    limit = (now or timezone.now()).timestamp() - hours * 3600
    folder = Path(settings.REGISTER_EXPORT_DIR)
    removed = 0
    if not folder.is_dir():
        return 0
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
