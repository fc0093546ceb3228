"""Send the e-mail that notifications owe, in the background worker, never in a request.

The task's row (``notifications.tasks.notification_mail``) holds notification ids only: the
queue is a table in clear, so the recipient's address and the text are read here, when the
task runs. Each notification is one step in its own transaction: lock its row (one another
worker holds is skipped), send, mark it e-mailed. A worker that dies mid-way leaves each
notification either e-mailed and marked, or still due, never in between; run again (or
``queue_notification_mail``), it sends only the due ones. The one gap is a death between the
mail server's acceptance and the commit: that message goes out again on the next run (at
least once, never lost).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Notification

logger = logging.getLogger("hoa_nhap.notifications")


class MailNotSent(Exception):
    """Some notifications' e-mail could not go out; they stay due for the next run."""


def _message(*, text: str, url: str, address: str) -> EmailMessage:
    """Return one e-mail with the text and a link, nothing else."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Hòa Nhập: a new notification")
        link = settings.SITE_URL.rstrip("/") + url
        body = _("%(text)s\n\nOpen: %(link)s\n\nSign in to see the details.") % {
            "text": text,
            "link": link,
        }
    return EmailMessage(subject, body, None, [address])


def _send_one(notification_id: uuid.UUID) -> bool:
    """Send one due notification's e-mail and mark it, in one transaction; return whether
    a message went out (not when already sent, held by another worker, or no address)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id, email_due=True)
            .first()
        )
        if notification is None:
            return False
        address = notification.recipient.email
        if address:
            _message(text=notification.text, url=notification.url, address=address).send()
        notification.email_due = False
        notification.emailed_at = timezone.now() if address else None
        notification.save(update_fields=["email_due", "emailed_at"])
    return bool(address)


def mail_send(*, notification_ids: Sequence[uuid.UUID | str]) -> int:
    """Send the e-mail each of these notifications still owes; return how many went out.

    One failure (a refused address, the mail server down) does not stop the others; the
    failed ones stay due and ``MailNotSent`` is raised at the end, naming only a count, so
    the task's stored error holds no address.
    """
    sent, failed = 0, 0
    for notification_id in notification_ids:
        try:
            sent += _send_one(uuid.UUID(str(notification_id)))
        except Exception as exc:  # the others still go; this one stays due
            failed += 1
            logger.warning(
                "notification e-mail not sent: notification=%s error=%s",
                notification_id,
                type(exc).__name__,
            )
    if failed:
        raise MailNotSent(f"{failed} of {len(notification_ids)} notification e-mails not sent")
    return sent


def due_ids() -> list[str]:
    """Return the ids of the notifications still owed an e-mail, oldest first."""
    due = Notification.objects.filter(email_due=True).order_by("created_at", "id")
    return [str(pk) for pk in due.values_list("pk", flat=True)]
