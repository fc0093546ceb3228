"""Returned trafficking victims: reception and shelter stays (Nhà Nhân ái)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Organisation
from core.fields import EncryptedTextField

from .base import CaseRecord


class IdentificationStatus(models.TextChoices):
    IDENTIFIED = "identified", _("Identified as a victim")
    VERIFYING = "verifying", _("Being verified")
    NOT_IDENTIFIED = "not_identified", _("Not identified as a victim")


class Reception(CaseRecord):
    """The reception (tiếp nhận) of a returned victim."""

    timeline_label = _("Reception")

    received_on = models.DateField(_("received on"))
    # Where a returnee was received, lives and can be reached may put them in danger: all
    # three are encrypted and shown masked until a user asks to see them (which is recorded).
    place = EncryptedTextField(_("place or border gate"))
    receiving_agency = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("receiving agency"),
    )  # fmt: skip
    identification_status = models.CharField(
        _("identification status"), max_length=20, choices=IdentificationStatus.choices
    )
    current_address = EncryptedTextField(_("where the person stays now"))
    contact = EncryptedTextField(_("how to reach the person"))

    class Meta:
        verbose_name = _("reception")
        verbose_name_plural = _("receptions")

    def __str__(self) -> str:
        return f"{self.timeline_label} – {self.short_id}"

    @property
    def when(self) -> Any:
        return self.received_on


class ShelterStay(CaseRecord):
    """A stay at a shelter (Nhà Nhân ái)."""

    timeline_label = _("Shelter stay")

    shelter = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("shelter")
    )
    entered_on = models.DateField(_("entered on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("shelter stay")
        verbose_name_plural = _("shelter stays")
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("entered_on")),
                name="shelter_leaves_after_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.timeline_label} – {self.short_id}"

    @property
    def when(self) -> Any:
        return self.entered_on
