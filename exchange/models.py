"""What the data exchange keeps: which local row stands for which object of which source,
and the records received from another system (docs/exchange.md, D60)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField
from services.models.base import CaseRecord


class LinkKind(models.TextChoices):
    PERSON = "person", _("Person")
    CASE = "case", _("Case")


class ExchangeLink(models.Model):
    """A person or case taken in from another instance: the source's id and the version
    last taken in, so a second pull of the same document changes nothing and a later
    version updates the same local row."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    source = models.CharField(_("source"), max_length=50)
    kind = models.CharField(_("kind"), max_length=10, choices=LinkKind.choices)
    source_id = models.UUIDField(_("id at the source"))
    source_version = models.PositiveIntegerField(_("version at the source"))
    local_id = models.UUIDField(_("id here"))
    document_id = models.UUIDField(_("last document"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("exchange link")
        verbose_name_plural = _("exchange links")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "source_id"], name="exchange_link_once_per_source"
            )
        ]
        indexes = [models.Index(fields=["kind", "local_id"], name="exchange_link_local")]

    def __str__(self) -> str:
        return f"{self.source}:{self.kind}:{self.source_id}"


class ReceivedRecord(CaseRecord):
    """A record of another instance's work on the case (a screening, a treatment episode,
    a service, a referral's outcome), kept as the source sent it.

    Not written as a native screening or episode: its providers and staff are the source's,
    and the source already counts it in its own figures; a copy counted here would count
    the same work twice in the national roll-up.
    """

    timeline_label = _("Received record")

    source = models.CharField(_("source"), max_length=50)
    kind = models.CharField(_("kind"), max_length=20)
    source_id = models.UUIDField(_("id at the source"))
    source_version = models.PositiveIntegerField(_("version at the source"))
    on = models.DateField(_("date"))
    # The record as the document carried it (JSON), encrypted: it describes treatment.
    data = EncryptedTextField(_("record"))

    class Meta:
        verbose_name = _("received record")
        verbose_name_plural = _("received records")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"], name="exchange_record_once_per_source"
            )
        ]
        indexes = [models.Index(fields=["case", "on"], name="exchange_record_case_date")]

    def __str__(self) -> str:
        return f"{self.kind} – {self.short_id}"

    @property
    def when(self) -> object:
        return self.on
