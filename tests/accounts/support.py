"""Helpers shared by the sign-in tests: log in through the real views, read events back."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp as totp_at

from accounts.models import BackupCodeDevice, TOTPDevice
from audit.models import Event

SEARCH = "cases:person_search"


def password_login(client: Client, username: str, password: str) -> Any:
    """POST the sign-in form, as a browser would (axes needs the request)."""
    return client.post(reverse("login"), {"username": username, "password": password})


def post_code(client: Client, token: str) -> Any:
    return client.post(reverse("accounts:otp_verify"), {"token": token})


def wrong_code(secret: str) -> str:
    """Return a 6-digit code that no step within the accepted clock drift produces."""
    key = base64.b32decode(secret)
    near = {f"{totp_at(key, drift=drift):06d}" for drift in (-2, -1, 0, 1, 2)}
    return next(c for c in (f"{n:06d}" for n in range(1_000_000)) if c not in near)


def events(action: str, **filters: Any) -> list[Event]:
    return list(Event.objects.filter(action=action, **filters).order_by("seq"))


def row_text(event: Event) -> str:
    """Return everything the database holds for one event, as the raw row reads."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM audit_event WHERE id = %s", [event.pk])
        row = cursor.fetchone()
    assert row is not None
    return " ".join(str(value) for value in row)


def field_text(event: Event) -> str:
    """Return every field of an event as the application reads it (reason decrypted)."""
    return " ".join(str(getattr(event, f.attname)) for f in Event._meta.concrete_fields)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def back_off_over(user: Any) -> None:
    """Move the devices' back-off after a wrong code into the past, as the seconds would:
    a code sent during it is not checked (and not counted)."""
    past = timezone.now() - timedelta(minutes=5)
    for model in (TOTPDevice, BackupCodeDevice):
        model.objects.filter(user=user).update(throttling_failure_timestamp=past)


def post_code_after_back_off(client: Client, user: Any, token: str) -> Any:
    back_off_over(user)
    return post_code(client, token)
