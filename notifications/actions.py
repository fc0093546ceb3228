"""Send notifications and mark them read: the request's writes of the notifications app
(the e-mail a notification owes is sent later by the background worker, ``mail.py``).

A notification's text says what happened in a few words and names a record only by a
pseudonymous short id (``short_ref``): it shows in the header of every page, and may go out
by e-mail, so it must never hold a name, citizen ID number, phone number or address.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.models import AnyUser, User
from audit.actions import record

from . import tasks, verbs
from .events import NotificationAction
from .models import Notification

# Nine or more digits, separators allowed between them: a citizen ID or a phone number.
_LONG_NUMBER = re.compile(r"\d(?:[\s.\-]?\d){8,}")
TEXT_LENGTH = 200  # Notification.text's max_length
_SMTP = "django.core.mail.backends.smtp.EmailBackend"
_DUMMY = "django.core.mail.backends.dummy.EmailBackend"


def short_ref(value: uuid.UUID | str) -> str:
    """Return a pseudonymous short id for a record: the first 8 characters of its UUID."""
    return "#" + str(value).replace("-", "")[:8].upper()


def is_local_path(url: str) -> bool:
    """Return whether ``url`` is a path on this site (never another host or scheme)."""
    return (
        url.startswith("/")
        and not url.startswith(("//", "/\\"))
        and not any(c in url for c in "\\\r\n\t")
        and url_has_allowed_host_and_scheme(url, allowed_hosts=None)
    )


def _check(*, verb: str, text: str, url: str) -> None:
    verbs.require(verb)
    if not text.strip() or len(text) > TEXT_LENGTH:
        raise ValueError("a notification needs a short text (200 characters at most)")
    if _LONG_NUMBER.search(text) or "@" in text:
        raise ValueError("a notification text must not hold a number, phone or e-mail address")
    if not is_local_path(url) or len(url) > 500:
        raise ValueError(f"a notification links to a path on this site, not {url!r}")


def _mail_enabled() -> bool:
    """Return whether the default mailer sends real mail (not Django's dummy backend)."""
    config = getattr(settings, "MAILERS", {}).get("default")
    return config is not None and config.get("BACKEND", _SMTP) != _DUMMY


def notify(
    *, actor: User | None, recipients: Iterable[User], verb: str, text: str, url: str
) -> list[Notification]:
    """Create one notification per recipient; those with an address are owed an e-mail,
    which the background worker sends once the transaction commits (``tasks``)."""
    _check(verb=verb, text=text, url=url)
    unique = {r.pk: r for r in recipients if r.pk is not None}
    mail = _mail_enabled()
    rows = [
        Notification(
            recipient=r,
            actor=actor,
            verb=verb,
            text=text,
            url=url,
            email_due=mail and bool(getattr(r, "email", "")),
        )
        for r in unique.values()
    ]
    with transaction.atomic():
        created = Notification.objects.bulk_create(rows)
        due = [str(n.pk) for n in created if n.email_due]
        if due:
            # Ids only: the task row is stored in clear (decision D36).
            transaction.on_commit(partial(tasks.notification_mail.enqueue, due), robust=True)
    return created


def _own(user: AnyUser, notification_id: Any) -> Notification:
    """Return the user's notification, or record the denial and raise Http404."""
    found = Notification.objects.filter(pk=notification_id, recipient_id=user.pk).first()
    if found is None:
        record(
            actor=user,
            action=NotificationAction.DENIED,
            object_type="notification",
            object_id=notification_id,
        )
        raise Http404
    return found


def mark_read(*, user: AnyUser, notification_id: uuid.UUID) -> Notification:
    """Mark one of the user's notifications read (another user's: 404 and a denial)."""
    notification = _own(user, notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(*, user: AnyUser) -> int:
    """Mark all the user's unread notifications read; return how many."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notification_open(*, user: AnyUser, notification_id: uuid.UUID) -> str:
    """Mark the notification read and return where to go: its link, if it stays on the site.

    A stored link to another site (a row written around ``notify``) is not followed: the
    refusal is recorded and the user is sent back to the list.
    """
    notification = mark_read(user=user, notification_id=notification_id)
    if is_local_path(notification.url):
        return notification.url
    record(
        actor=user,
        action=NotificationAction.LINK_REFUSED,
        object_type="notification",
        object_id=notification.pk,
    )
    return reverse("notifications:list")
