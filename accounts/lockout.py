"""What django-axes counts failures against: the account's username, or a keyed hash of a
name that matches no account (people sometimes type their password into the name field)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from accounts.models import User


def lockout_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    name = (credentials or {}).get("username") or ""
    if not isinstance(name, str) or not name:
        return ""
    if User.objects.filter(username=name).exists():
        return name
    return (
        "unknown:"
        + salted_hmac("hoa_nhap.lockout", name.casefold(), algorithm="sha256").hexdigest()[:24]
    )
