"""In-app notifications: a short text without identifiers and a link inside the app."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import verbs


class Notification(models.Model):
    """One message to one user: what happened (``verb``), a short text and where to look."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    verb = models.CharField(_("kind"), max_length=40)
    # Never a name, citizen ID, phone or address: a pseudonymous short id at most.
    text = models.CharField(_("text"), max_length=200)
    url = models.CharField(_("link"), max_length=500)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    # The background worker owes this notification an e-mail (notifications/mail.py); it
    # clears the flag in the same transaction as it records that the mail went out.
    email_due = models.BooleanField(_("e-mail due"), default=False)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "created_at"], name="notification_inbox"),
            # The few rows still owed an e-mail (queue_notification_mail finds them).
            models.Index(
                fields=["created_at"],
                name="notification_email_due",
                condition=models.Q(email_due=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email_due=False) | models.Q(emailed_at__isnull=True),
                name="notification_due_or_emailed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.verb} → {self.recipient_id}"

    @property
    def verb_label(self) -> str:
        return verbs.label(self.verb)

    @property
    def is_unread(self) -> bool:
        return self.read_at is None
