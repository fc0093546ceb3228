"""Sign the documents this instance sends and verify the ones it takes in (Ed25519).

The sender keeps a private key (``HOA_NHAP_EXCHANGE_SIGNING_KEY``); each receiver lists the
senders it trusts with their public keys (``HOA_NHAP_EXCHANGE_TRUSTED``, name → key). A
receiver holds no secret of the sender's, so it cannot forge the sender's documents (a shared
HMAC key would let it), and a document changed on the way fails verification.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .document import canonical


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def instance_name() -> str:
    """Return this instance's name in the documents it signs."""
    name: str = settings.EXCHANGE_INSTANCE
    if not name:
        raise ImproperlyConfigured("Set HOA_NHAP_EXCHANGE_INSTANCE to send exchange documents.")
    return name


def _private_key() -> Ed25519PrivateKey:
    text: str = settings.EXCHANGE_SIGNING_KEY
    try:
        return Ed25519PrivateKey.from_private_bytes(_decode(text))
    except (ValueError, binascii.Error) as error:
        raise ImproperlyConfigured(
            "HOA_NHAP_EXCHANGE_SIGNING_KEY must be an Ed25519 private key (32 bytes, base64url)."
        ) from error


def public_key_text() -> str:
    """Return this instance's public key, for the receivers' trusted list."""
    public = _private_key().public_key()
    return _encode(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def sign(document: dict[str, Any]) -> dict[str, Any]:
    """Return the document with this instance's signature over its canonical form."""
    value = _encode(_private_key().sign(canonical(document)))
    return {**document, "signature": {"algorithm": "Ed25519", "value": value}}


def verify(document: dict[str, Any]) -> str:
    """Return why the document's signature does not hold ("" when it does).

    ``unknown_source``: the sending instance is not trusted here; ``bad_signature``: it is,
    and the document is not what it signed (changed on the way, or signed by another key).
    """
    source = document.get("source")
    name = source.get("instance") if isinstance(source, dict) else None
    trusted: dict[str, str] = settings.EXCHANGE_TRUSTED
    key_text = trusted.get(name) if isinstance(name, str) else None
    if key_text is None:
        return "unknown_source"
    signature = document.get("signature")
    value = signature.get("value") if isinstance(signature, dict) else None
    if not isinstance(value, str):
        return "bad_signature"
    try:
        key = Ed25519PublicKey.from_public_bytes(_decode(key_text))
        key.verify(_decode(value), canonical(document))
    except (InvalidSignature, ValueError, binascii.Error):
        return "bad_signature"
    return ""
