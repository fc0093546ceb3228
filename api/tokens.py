"""API tokens: made here, shown once, kept only as a SHA-256 hash.

A token reads ``hn_<prefix>_<secret>``: the prefix (12 hex digits) finds the client's row,
the secret (32 random bytes, URL-safe base64) is never stored. A token has 256 bits of
entropy, so a plain SHA-256 is enough (no slow hash: nothing to guess); the comparison is in
constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

SHAPE = re.compile(r"^hn_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class NewToken:
    """A token as made: the whole text (to show once), its prefix and its hash (to keep)."""

    text: str
    prefix: str
    digest: str


def digest(text: str) -> str:
    """Return the hex SHA-256 of a token's whole text."""
    return hashlib.sha256(text.encode()).hexdigest()


def make() -> NewToken:
    """Return a fresh token."""
    prefix = secrets.token_hex(6)
    text = f"hn_{prefix}_{secrets.token_urlsafe(32)}"
    return NewToken(text=text, prefix=prefix, digest=digest(text))


def prefix_of(text: str) -> str | None:
    """Return the prefix of a well-formed token, None for anything else."""
    found = SHAPE.match(text)
    return found.group(1) if found else None


def matches(text: str, stored_digest: str) -> bool:
    """Return whether the token's hash is the stored one (constant time)."""
    return hmac.compare_digest(digest(text), stored_digest)
