"""Read settings from the environment with small, typed helpers."""

import base64
import os
from collections.abc import Iterable, Mapping
from ipaddress import IPv4Network, IPv6Network, ip_network
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str | None = None) -> str:
    """Return the variable, the default, or stop with a message naming the variable."""
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"Set the environment variable {name}.")
        return default
    return value


def env_bool(name: str, default: bool = False) -> bool:
    """Return a boolean written as 1/0, true/false, yes/no or on/off."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}.")


def env_int(name: str, default: int) -> int:
    """Return an integer variable."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}.") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Return a comma-separated list, without empty items."""
    value = os.environ.get(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_networks(name: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """Return comma-separated IP addresses or networks (``10.0.0.1``, ``10.0.0.0/8``)."""
    networks = []
    for item in env_list(name):
        try:
            networks.append(ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not an IP address or network (such as 10.0.0.0/8)."
            ) from None
    return tuple(networks)


def parse_database_url(url: str) -> dict[str, object]:
    """Turn postgres://user:pass@host:port/name or sqlite:///path into a DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path and sqlite:////absolute/path
        path = parts.path[1:] if parts.path.startswith("/") else parts.path
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path or ":memory:"}
    if parts.scheme in {"postgres", "postgresql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL must start with postgres:// or sqlite://, not {parts.scheme!r}."
    )


# Django's own deploy check (security.W009) asks for this much of a secret key; its
# 5 distinct characters let "abcde" repeated pass. 50 characters from Django's generator
# hold about 32 distinct ones, a 64-character hex key 16: 12 refuses neither.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_CHARACTERS = 12


def refuse_weak_secret_key(name: str, value: str, *, published: Iterable[str]) -> None:
    """Stop start-up on a published, short, repetitive or startproject-made secret key."""
    if value in set(published):
        raise ImproperlyConfigured(
            f"{name} is the published demo key: set a secret of your own "
            f"(at least {SECRET_KEY_MIN_LENGTH} random characters)."
        )
    if (
        len(value) < SECRET_KEY_MIN_LENGTH
        or len(set(value)) < SECRET_KEY_MIN_CHARACTERS
        or value.startswith("django-insecure-")
    ):
        raise ImproperlyConfigured(
            f"{name} is too weak: use at least {SECRET_KEY_MIN_LENGTH} random characters "
            f"(at least {SECRET_KEY_MIN_CHARACTERS} different ones), for example: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )


def _spellings(key: bytes) -> set[str]:
    """Return how a key may be written: base64 (either alphabet) and hex, minus the last
    characters, which depend on padding and alignment."""
    texts = {
        base64.urlsafe_b64encode(key).decode().rstrip("="),
        base64.b64encode(key).decode().rstrip("="),
    }
    return {text[:-2] for text in texts} | {key.hex(), key.hex().upper()}


def refuse_secret_key_holding_keys(
    name: str, value: str, keys: Mapping[str, Iterable[bytes]]
) -> None:
    """Stop start-up if the secret key holds one of the data keys, whole or pasted into it.

    The secret key signs sessions and reset links and is often read by more tools than the
    data keys; holding one, it would hand it to whoever reads it.
    """
    for other, values in keys.items():
        for key in values:
            if key in value.encode() or any(text in value for text in _spellings(key)):
                raise ImproperlyConfigured(
                    f"{name} and {other} hold the same key: each purpose needs its own "
                    "(python -m core.keygen), so one leaked key does not open the others."
                )


def refuse_published_or_shared_keys(
    keys: Mapping[str, Iterable[bytes]], *, published: Iterable[bytes]
) -> None:
    """Stop start-up if a key is a published demo key or serves two purposes.

    ``keys`` maps each variable to the keys it holds. Keys are compared as bytes, so a
    different spelling of the same key (padding, base64 alphabet) is caught too.
    """
    demo = set(published)
    owner: dict[bytes, str] = {}
    for name, values in keys.items():
        for key in set(values):
            if key in demo:
                raise ImproperlyConfigured(
                    f"{name} holds a published demo key, readable by anyone: generate a new "
                    "one with python -m core.keygen."
                )
            if key in owner:
                raise ImproperlyConfigured(
                    f"{owner[key]} and {name} hold the same key: each purpose needs its own "
                    "(python -m core.keygen), so one leaked key does not open the others."
                )
            owner[key] = name
