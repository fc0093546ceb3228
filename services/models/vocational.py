"""Vocational support: training, job placement, loans and apprenticeships."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Organisation
from core.fields import EncryptedTextField

from .base import CaseRecord


class VocationalKind(models.TextChoices):
    TRAINING = "training", _("Vocational training course")
    JOB_PLACEMENT = "job_placement", _("Job placement")
    LOAN = "loan", _("Loan or credit")
    APPRENTICESHIP = "apprenticeship", _("Apprenticeship")


class VocationalOutcome(models.TextChoices):
    ONGOING = "ongoing", _("Ongoing")
    COMPLETED = "completed", _("Completed")
    EMPLOYED = "employed", _("Employed")
    DROPPED_OUT = "dropped_out", _("Dropped out")


class IncomeBand(models.TextChoices):
    # Monthly income in VND: coarse bands, never an exact figure.
    UNDER_3M = "lt3m", _("Under 3 million VND a month")
    FROM_3M = "3to5m", _("3 to 5 million VND a month")
    FROM_5M = "5to10m", _("5 to 10 million VND a month")
    OVER_10M = "gt10m", _("Over 10 million VND a month")


class VocationalSupport(CaseRecord):
    """One vocational or employment support given to a person."""

    timeline_label = _("Vocational support")

    kind = models.CharField(_("kind"), max_length=20, choices=VocationalKind.choices)
    provider = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", null=True, blank=True,
        verbose_name=_("provider"),
    )  # fmt: skip
    # A school, employer or bank not registered as an organisation (not about the person).
    provider_other = models.CharField(_("other provider"), max_length=200, blank=True)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=VocationalOutcome.choices,
        default=VocationalOutcome.ONGOING,
    )  # fmt: skip
    # Where the person works can locate them: encrypted like an address.
    employer = EncryptedTextField(_("employer and workplace"))
    income_band = models.CharField(
        _("income"), max_length=10, choices=IncomeBand.choices, blank=True
    )

    class Meta:
        verbose_name = _("vocational support")
        verbose_name_plural = _("vocational support")
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="vocational_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.short_id}"

    @property
    def when(self) -> Any:
        return self.started_on
