"""Calendar data every app shares: Vietnam's public holidays (days off) as rows, not code."""

from __future__ import annotations

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class HolidayKind(models.TextChoices):
    FIXED = "fixed", _("Fixed date (solar calendar)")
    LUNAR = "lunar", _("Lunar calendar date")
    COMPENSATORY = "compensatory", _("Compensatory day off (a holiday fell on a weekend)")
    BRIDGING = "bridging", _("Bridging day off (swapped with a weekend day worked)")
    # Not a day off: a Saturday or Sunday worked in exchange for a bridging day.
    MAKEUP = "makeup", _("Make-up working day (a weekend day worked instead)")


class PublicHoliday(models.Model):
    """One day off work for everyone (or, for ``makeup``, one weekend day that is worked)."""

    day = models.DateField(_("day"), unique=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=HolidayKind.choices)
    # The government has not announced it yet: computed from the law and the lunar calendar.
    provisional = models.BooleanField(_("not yet officially announced"), default=False)

    class Meta:
        db_table = "core_publicholiday"  # moved from core without moving the data
        verbose_name = _("public holiday")
        verbose_name_plural = _("public holidays")
        ordering = ["day"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=HolidayKind.values), name="publicholiday_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} {self.name}"

    @property
    def name(self) -> str:
        """Return the name in the active language."""
        return self.name_en if self.name_en and translation.get_language() == "en" else self.name_vi
