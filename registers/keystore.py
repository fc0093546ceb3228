"""The file's keys of one import, kept in a temporary table rather than in Python (D61).

An import reads its file twice and must remember, between and during the passes, the
file's own keys: each person number's first row and the digest of its personal columns,
each case number's category, each episode's modality, each screening's row and item
scores, the digests of rows already seen (duplicate rows), and the ids the second pass gave
people, cases and episodes. Kept in dictionaries these grew the process by about 0.4 KB a
row (37 MB at 100,000 rows, D54). Here they live in a temporary SQLite database of the
worker's own (``sqlite3.connect("")``: private to the connection, its pages kept in a
2 MB cache and spilled to a file the library unlinks at once and that is gone with the
connection), so the process stays flat whatever the file's length.

A key is never stored as the file's text: each is a keyed BLAKE2b digest under a secret
drawn for the import and held only in memory, so the spilled pages hold no number, name or
key an office typed (a person number may well be a citizen ID). Row numbers, categories,
modalities and the ids given are stored as they are.

Not PostgreSQL's own temporary table: the first pass runs outside the import's transaction
and looks keys up row by row (a reference, a duplicate row, a person's first row); a round
trip to the server per lookup would cost more than the check itself, and the SQLite demo
would need a second implementation.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from collections.abc import Iterator
from enum import IntEnum
from uuid import UUID

CACHE_KIB = 2048  # the temporary database's page cache; beyond it, pages go to its file


class Kind(IntEnum):
    """What a stored key is (one table, one column of kind)."""

    PERSON = 1  # person number → personal digest (8 bytes) + first row
    CASE = 2  # case number → category
    EPISODE = 3  # episode number → modality
    SCREENING = 4  # screening number → row
    PERSON_ID = 5  # person number → the person's id (second pass)
    CASE_ID = 6  # case number → the case's id
    EPISODE_ID = 7  # episode number → the episode's id
    WRITTEN_PERSON = 8  # a person's id (16 bytes, as is) → first row: people written
    SEEN = 9  # a row's digest (in a sheet, per unique column set) → its first row


class KeyStore:
    """One import's keys in a temporary SQLite database; close it when the import ends."""

    def __init__(self) -> None:
        self._secret = secrets.token_bytes(32)
        self._db = sqlite3.connect("", isolation_level=None)
        self._db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute(
            "CREATE TABLE k (kind INTEGER NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL, "
            "PRIMARY KEY (kind, key)) WITHOUT ROWID"
        )
        self._db.execute(
            "CREATE TABLE scores (key BLOB NOT NULL, row INTEGER NOT NULL, item TEXT NOT NULL, "
            "score INTEGER NOT NULL, level TEXT NOT NULL, PRIMARY KEY (key, row)) WITHOUT ROWID"
        )

    def close(self) -> None:
        self._db.close()

    def digest(self, text: str) -> bytes:
        """Return the keyed digest a file key is stored under (16 bytes)."""
        return hashlib.blake2b(text.encode(), key=self._secret, digest_size=16).digest()

    # --- raw access by kind and digest ------------------------------------------------

    def get(self, kind: Kind, key: bytes) -> bytes | None:
        row = self._db.execute(
            "SELECT value FROM k WHERE kind = ? AND key = ?", (kind, key)
        ).fetchone()
        return None if row is None else bytes(row[0])

    def put(self, kind: Kind, key: bytes, value: bytes) -> None:
        self._db.execute(
            "INSERT INTO k (kind, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value",
            (kind, key, value),
        )

    def setdefault(self, kind: Kind, key: bytes, value: bytes) -> bytes:
        """Store ``value`` unless the key has one; return the value stored."""
        cursor = self._db.execute(
            "INSERT INTO k (kind, key, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (kind, key, value),
        )
        if cursor.rowcount:
            return value
        found = self.get(kind, key)
        assert found is not None  # noqa: S101
        return found

    def count(self, kind: Kind) -> int:
        row = self._db.execute("SELECT count(*) FROM k WHERE kind = ?", (kind,)).fetchone()
        return int(row[0])

    def values(self, kind: Kind) -> Iterator[bytes]:
        cursor = self._db.execute("SELECT value FROM k WHERE kind = ?", (kind,))
        for (value,) in cursor:
            yield bytes(value)

    def keys(self, kind: Kind) -> Iterator[bytes]:
        cursor = self._db.execute("SELECT key FROM k WHERE kind = ? ORDER BY key", (kind,))
        for (key,) in cursor:
            yield bytes(key)

    def clear(self, kind: Kind) -> None:
        self._db.execute("DELETE FROM k WHERE kind = ?", (kind,))

    # --- item scores --------------------------------------------------------------------

    def score_add(self, screening: str, row: int, item: str, score: int, level: str) -> None:
        """Keep an item score of a screening (again on the second pass: kept once)."""
        self._db.execute(
            "INSERT INTO scores VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (self.digest(screening), row, item, score, level),
        )

    def scores(self, screening: str) -> list[tuple[str, int, str]]:
        cursor = self._db.execute(
            "SELECT item, score, level FROM scores WHERE key = ? ORDER BY row",
            (self.digest(screening),),
        )
        return [(item, score, level) for item, score, level in cursor]

    def dump(self) -> list[tuple[object, ...]]:
        """Every stored row (tests: nothing the office typed is kept as written)."""
        return [
            *self._db.execute("SELECT kind, key, value FROM k"),
            *self._db.execute("SELECT key, row, item, score, level FROM scores"),
        ]


class TextMap:
    """A file key → a short text (a category, a modality), in the store."""

    def __init__(self, store: KeyStore, kind: Kind) -> None:
        self._store, self._kind = store, kind

    def get(self, key: str) -> str | None:
        found = self._store.get(self._kind, self._store.digest(key))
        return None if found is None else found.decode()

    def __setitem__(self, key: str, value: str) -> None:
        self._store.put(self._kind, self._store.digest(key), value.encode())

    def setdefault(self, key: str, value: str) -> str:
        return self._store.setdefault(self._kind, self._store.digest(key), value.encode()).decode()

    def __contains__(self, key: str) -> bool:
        return self._store.get(self._kind, self._store.digest(key)) is not None

    def __len__(self) -> int:
        return self._store.count(self._kind)


class IdMap:
    """The file's keys → the ids the import gave them (people, cases or episodes).

    With ``written`` (people), each id is also kept the other way round, so "is this one
    of the people this import wrote?" is a lookup, not a copy of every id.
    """

    def __init__(self, store: KeyStore, kind: Kind, *, written: Kind | None = None) -> None:
        self._store, self._kind, self._written = store, kind, written

    def __getitem__(self, key: str) -> UUID:
        found = self._store.get(self._kind, self._store.digest(key))
        if found is None:
            raise KeyError(key)
        return UUID(bytes=found)

    def get(self, key: str) -> UUID | None:
        found = self._store.get(self._kind, self._store.digest(key))
        return None if found is None else UUID(bytes=found)

    def __setitem__(self, key: str, value: UUID) -> None:
        digest = self._store.digest(key)
        self._store.put(self._kind, digest, value.bytes)
        if self._written is not None:
            self._store.put(self._written, value.bytes, digest)

    def update(self, items: dict[str, UUID]) -> None:
        for key, value in items.items():
            self[key] = value

    def __contains__(self, key: str) -> bool:
        return self._store.get(self._kind, self._store.digest(key)) is not None

    def __len__(self) -> int:
        return self._store.count(self._kind)

    def wrote(self, pk: UUID) -> bool:
        """Whether ``pk`` is an id this map was given (people: a person of this import)."""
        return self.key_of(pk) is not None

    def key_of(self, pk: UUID) -> bytes | None:
        """Return the digest of the file key ``pk`` was given for (None: not given)."""
        assert self._written is not None  # noqa: S101
        return self._store.get(self._written, pk.bytes)

    def ids(self) -> Iterator[UUID]:
        """The ids given, in the order of their bytes."""
        for value in self._store.values(self._kind):
            yield UUID(bytes=value)


class WrittenIds:
    """The ids of people this import wrote, as ``different_from`` takes them (a collection
    of id texts): a lookup per candidate instead of a list of everyone written so far."""

    def __init__(self, people: IdMap, shown: list[str]) -> None:
        self._people, self._shown = people, shown

    def __contains__(self, pk: object) -> bool:
        if pk in self._shown:
            return True
        try:
            return isinstance(pk, str) and self._people.wrote(UUID(pk))
        except ValueError:
            return False

    def __iter__(self) -> Iterator[str]:
        yield from self._shown
        yield from (str(pk) for pk in self._people.ids())

    def __len__(self) -> int:
        return len(self._shown) + len(self._people)
