"""The service catalogue: service types are data, not code."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from audit.history import RequestIdHistory
from cases.choices import ClientCategory


class ServiceCategory(models.TextChoices):
    COUNSELLING = "counselling", _("Counselling")
    PREVENTION = "prevention", _("Prevention")
    HEALTH = "health", _("Health care")
    SOCIAL = "social", _("Social support")
    VICTIM_SUPPORT = "victim_support", _("Support for returned victims")
    VOCATIONAL = "vocational", _("Vocational and employment support")
    OTHER = "other", _("Other")


class ServiceType(models.Model):
    """A kind of service that can be planned or delivered for a person."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=ServiceCategory.choices)
    # Client categories this service is offered to; empty means every category.
    applies_to: Any = models.JSONField(_("offered to"), default=list, blank=True)
    records_amount = models.BooleanField(_("an amount of money is recorded"), default=False)
    is_active = models.BooleanField(_("in use"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    # A referral for this service must be answered within this many working days of sending.
    answer_within_days = models.PositiveSmallIntegerField(
        _("answer within (working days)"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    # A referral for this service hands the whole case over: the receiver becomes its holder.
    transfers_case = models.BooleanField(_("hands the case over to the receiver"), default=False)

    # Who changed the catalogue, when, in which request (entries are deactivated, not deleted).
    history = HistoricalRecords(bases=[RequestIdHistory])

    class Meta:
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """Return the name in the active language (Vietnamese unless English is chosen)."""
        return self.name_en if translation.get_language() == "en" else self.name_vi

    def clean(self) -> None:
        known = set(self.categories())
        if not isinstance(self.applies_to, list) or not set(self.applies_to) <= known:
            raise ValidationError({"applies_to": _("Choose client categories from the list.")})

    def offered_to(self, category: str) -> bool:
        """Return whether this service applies to a case of the given client category."""
        return not self.applies_to or category in self.applies_to

    @staticmethod
    def categories() -> list[str]:
        """Return the client category codes a catalogue entry may name."""
        return [str(value) for value in ClientCategory.values]
