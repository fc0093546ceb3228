"""Returned trafficking victims: reception and shelter stays (Nhà Nhân ái)."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Organisation, Person
from core.fields import ADDRESS_MAX, EncryptedTextField

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
    place = EncryptedTextField(_("place or border gate"), max_length=ADDRESS_MAX)
    receiving_agency = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("receiving agency"),
    )
    identification_status = models.CharField(
        _("identification status"), max_length=20, choices=IdentificationStatus.choices
    )
    current_address = EncryptedTextField(_("where the person stays now"), max_length=ADDRESS_MAX)
    contact = EncryptedTextField(_("how to reach the person"), max_length=ADDRESS_MAX)

    class Meta:
        verbose_name = _("reception")
        verbose_name_plural = _("receptions")

    def __str__(self) -> str:
        return f"{self.timeline_label} – {self.short_id}"

    @property
    def when(self) -> Any:
        return self.received_on


# The organisation type of a Nhà Nhân ái (shelter and support house).
SHELTER_TYPE = "nha-nhan-ai"


class ShelterStay(CaseRecord):
    """A stay at a shelter (Nhà Nhân ái)."""

    timeline_label = _("Shelter stay")

    # A copy of the case's person, so two overlapping stays of one person are refused by the
    # database (an exclusion constraint over this column and the dates, on PostgreSQL).
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", editable=False)
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

    person_id: uuid.UUID

    def __str__(self) -> str:
        return f"{self.timeline_label} – {self.short_id}"

    @property
    def when(self) -> Any:
        return self.entered_on

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.shelter_id is not None and self.shelter.type.code != SHELTER_TYPE:
            errors["shelter"] = _("Choose a Nhà Nhân ái.")
        if self.entered_on and self.left_on and self.left_on < self.entered_on:
            errors["left_on"] = _("The day the person left cannot be before the day they came.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.person_id = self.case.person_id
        super().save(*args, **kwargs)
