"""Own the field cipher: AES-256-GCM with a key ring, per-field keys and bound associated data.

Ciphertext text form: ``v1$<key id>$<base64url(nonce || ciphertext+tag)>``.
The associated data binds the ciphertext to one field of one row, so a value copied to
another row or another field does not decrypt. Decryption failures raise; nothing here
ever returns ciphertext in place of plaintext.
"""

import base64
import binascii
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

VERSION = "v1"
KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
NONCE_BYTES = 12
PAD_BLOCK = 16


class DecryptionError(Exception):
    """A ciphertext is malformed, unknown to the key ring, or not bound to this row and field."""


@dataclass(frozen=True)
class KeyRing:
    """Master keys by id; the first one encrypts, every one decrypts."""

    keys: tuple[tuple[str, bytes], ...]

    @property
    def current_id(self) -> str:
        return self.keys[0][0]

    def master(self, key_id: str) -> bytes:
        for kid, key in self.keys:
            if kid == key_id:
                return key
        raise DecryptionError(f"key id {key_id!r} is not in the key ring")


def _decode_key(name: str, text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{name}: a key is not valid base64.") from None
    if len(raw) != 32:
        raise ImproperlyConfigured(f"{name}: a key must be 32 bytes (256 bits), got {len(raw)}.")
    if not looks_random(raw):
        raise ImproperlyConfigured(
            f"{name}: a key is not random (all zeros, a counting or repeating pattern, or "
            "typed text): generate one with python -m core.keygen."
        )
    return raw


# 32 random bytes hold about 30 distinct values; fewer than 16 happens with probability far
# below 1e-20, so refusing it never refuses a generated key.
MIN_DISTINCT_BYTES = 16
MIN_DISTINCT_STEPS = 16


def looks_random(raw: bytes) -> bool:
    """Return False for a key with visibly no secret in it.

    All zeros, a repeated or counting pattern (few distinct bytes, or few distinct steps
    between neighbours), or printable text (a passphrase base64-encoded: 32 random bytes
    are all printable ASCII with probability about 1e-14).
    """
    steps = {(b - a) % 256 for a, b in zip(raw, raw[1:], strict=False)}
    printable = all(0x20 <= b < 0x7F for b in raw)
    return (
        len(set(raw)) >= MIN_DISTINCT_BYTES and len(steps) >= MIN_DISTINCT_STEPS and not printable
    )


def parse_key_ring(name: str, value: str) -> KeyRing:
    """Parse ``id:base64key,id:base64key`` (newest first) or stop with a clear message."""
    if not value.strip():
        raise ImproperlyConfigured(
            f"{name} is not set: Hòa Nhập will not start without its encryption keys. "
            "Generate a key with: python -m core.keygen"
        )
    keys: list[tuple[str, bytes]] = []
    for item in value.split(","):
        kid, sep, encoded = item.strip().partition(":")
        if not sep or not KEY_ID_RE.match(kid):
            raise ImproperlyConfigured(
                f"{name}: each entry must be <key id>:<base64 key>, key id of letters, "
                "digits, '_' or '-'."
            )
        if any(kid == seen for seen, _ in keys):
            raise ImproperlyConfigured(f"{name}: key id {kid!r} appears twice.")
        key = _decode_key(name, encoded.strip())
        for seen, other in keys:
            if hmac.compare_digest(key, other):
                # Rotation to the "new" id would then re-encrypt with the old key.
                raise ImproperlyConfigured(
                    f"{name}: key ids {seen!r} and {kid!r} hold the same key: each id needs "
                    "its own (python -m core.keygen)."
                )
        keys.append((kid, key))
    return KeyRing(tuple(keys))


def parse_single_key(name: str, value: str) -> bytes:
    """Parse one base64 key (for the blind-index key) or stop with a clear message."""
    if not value.strip():
        raise ImproperlyConfigured(f"{name} is not set: Hòa Nhập will not start without it.")
    return _decode_key(name, value.strip())


def new_key() -> str:
    """Return a fresh random 256-bit key in the form the settings expect."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def key_ring() -> KeyRing:
    ring: KeyRing = settings.ENCRYPTION_KEY_RING
    return ring


@lru_cache(maxsize=1024)
def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


@lru_cache(maxsize=1024)
def _field_cipher(master: bytes, label: str) -> AESGCM:
    """Return the AES-GCM cipher of one field under one master key: derived once per
    process, so decrypting a page of rows costs one AES operation per value."""
    return AESGCM(_derive(master, b"hoa-nhap field " + label.encode()))


def _aad(label: str, row_id: str, key_id: str) -> bytes:
    return f"hoa-nhap|{VERSION}|{label}|{row_id}|{key_id}".encode()


def _pad(data: bytes) -> bytes:
    # ISO/IEC 7816-4 padding to 16 bytes, so ciphertext length hides the exact text length.
    return data + b"\x80" + b"\x00" * (-(len(data) + 1) % PAD_BLOCK)


def _unpad(data: bytes) -> bytes:
    end = data.rstrip(b"\x00")
    if not end.endswith(b"\x80"):
        raise DecryptionError("bad padding")
    return end[:-1]


def encrypt(plaintext: str, *, label: str, row_id: str) -> str:
    """Encrypt text for one field (``app.model.field``) of one row with the current key."""
    ring = key_ring()
    kid = ring.current_id
    nonce = os.urandom(NONCE_BYTES)
    cipher = _field_cipher(ring.master(kid), label)
    sealed = cipher.encrypt(nonce, _pad(plaintext.encode()), _aad(label, row_id, kid))
    body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
    return f"{VERSION}${kid}${body}"


def key_id_of(ciphertext: str) -> str:
    """Return the key id a ciphertext was made with."""
    return _split(ciphertext)[0]


def _split(ciphertext: str) -> tuple[str, bytes]:
    parts = ciphertext.split("$")
    if len(parts) != 3 or parts[0] != VERSION or not KEY_ID_RE.match(parts[1]):
        raise DecryptionError("not a Hòa Nhập ciphertext")
    try:
        blob = base64.urlsafe_b64decode(parts[2] + "=" * (-len(parts[2]) % 4))
    except (binascii.Error, ValueError):
        raise DecryptionError("ciphertext body is not base64") from None
    if len(blob) < NONCE_BYTES + 16:
        raise DecryptionError("ciphertext is too short")
    return parts[1], blob


def decrypt(ciphertext: str, *, label: str, row_id: str) -> str:
    """Decrypt a field value, or raise DecryptionError if it is not this row's and field's."""
    kid, blob = _split(ciphertext)
    try:
        plain = _field_cipher(key_ring().master(kid), label).decrypt(
            blob[:NONCE_BYTES], blob[NONCE_BYTES:], _aad(label, row_id, kid)
        )
    except InvalidTag:
        raise DecryptionError(
            f"ciphertext does not authenticate for {label} of row {row_id}"
        ) from None
    return _unpad(plain).decode()


def blind_index(normalised: str, *, name: str, bits: int) -> int:
    """Return the keyed, truncated HMAC of a normalised value (CipherSweet-style)."""
    key = _derive(settings.BLIND_INDEX_KEY, b"hoa-nhap blind index " + name.encode())
    digest = hmac.new(key, normalised.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") >> (32 - bits)
