"""Screenings: an instrument's answers (encrypted) and its scores (clear, for figures)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from audit.history import RequestIdHistory
from core.fields import EncryptedTextField

from ..instruments import assist_v3_0
from .base import CaseRecord

# The answers as JSON: the longest instrument (ASSIST, every substance) stays well below.
ANSWERS_MAX = 20_000
# ASSIST Q8 (injecting), in the instrument's own codes and wording.
INJECTING_CHOICES = [(option.code, option.label) for option in assist_v3_0.Q8.options]


class Screening(CaseRecord):
    """One administration of a versioned screening instrument."""

    timeline_label = _("Screening")

    instrument = models.CharField(_("instrument"), max_length=30)
    instrument_version = models.CharField(_("version"), max_length=10)
    screened_on = models.DateField(_("screened on"))
    screener = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("screened by"),
    )
    # The answers as JSON, encrypted: they describe drug use and private life.
    answers = EncryptedTextField(_("answers"), max_length=ANSWERS_MAX)
    # The headline result (the highest risk or the severity) for lists and figures.
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    level = models.CharField(_("result"), max_length=20, blank=True)
    # ASSIST Q8 in clear, coded (no text): how many people inject is the figure HIV harm
    # reduction needs, and it cannot be counted from encrypted answers. Blank: not asked
    # (another instrument, or no substance ever used).
    injecting = models.CharField(
        _("injecting drug use"),
        max_length=12,
        choices=INJECTING_CHOICES,
        blank=True,
        default="",
    )

    class Meta:
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(injecting="")
                | models.Q(
                    instrument=assist_v3_0.CODE,
                    injecting__in=[code for code, _label in INJECTING_CHOICES],
                ),
                name="screening_injecting_is_assist_q8",
            )
        ]
        indexes = [
            models.Index(fields=["case", "screened_on"], name="screening_case_date"),
            models.Index(fields=["instrument", "screened_on"], name="screening_instrument"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} – {self.short_id}"

    @property
    def when(self) -> Any:
        return self.screened_on


class ScreeningScore(models.Model):
    """One scored item of a screening (e.g. a substance's involvement score and risk)."""

    scope_through = "screening__case"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    screening = models.ForeignKey(
        Screening, on_delete=models.PROTECT, related_name="subject_scores"
    )
    item = models.CharField(_("item"), max_length=30)
    score = models.PositiveSmallIntegerField(_("score"))
    level = models.CharField(_("result"), max_length=20)

    history = HistoricalRecords(bases=[RequestIdHistory])

    class Meta:
        verbose_name = _("screening score")
        verbose_name_plural = _("screening scores")
        constraints = [
            models.UniqueConstraint(fields=["screening", "item"], name="score_once_per_item")
        ]
        indexes = [models.Index(fields=["item", "level"], name="score_item_level")]

    screening_id: uuid.UUID

    def __str__(self) -> str:
        return f"{self.item}: {self.score}"
