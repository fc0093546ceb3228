"""Vocational support: training, job placement, loans and apprenticeships."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Organisation
from core.fields import ADDRESS_MAX, EncryptedTextField

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
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("provider"),
    )
    # A school, employer or bank not registered as an organisation (not about the person).
    provider_other = models.CharField(_("other provider"), max_length=200, blank=True)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"),
        max_length=20,
        choices=VocationalOutcome.choices,
        default=VocationalOutcome.ONGOING,
    )
    # Why a finished support has no end date (e.g. the school never said when the course
    # ended): free text, so encrypted.
    no_end_reason = EncryptedTextField(_("why there is no end date"))
    # Where the person works can locate them: encrypted like an address.
    employer = EncryptedTextField(_("employer and workplace"), max_length=ADDRESS_MAX)
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
            models.CheckConstraint(
                condition=Q(outcome="employed") | Q(income_band=""),
                name="vocational_income_only_employed",
            ),
            models.CheckConstraint(
                condition=Q(provider__isnull=True) ^ Q(provider_other=""),
                name="vocational_one_provider",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.short_id}"

    @property
    def when(self) -> Any:
        return self.started_on

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        other = self.provider_other.strip()
        if self.provider_id is None and not other:
            errors["provider"] = _("Choose the provider, or name it under “other provider”.")
        elif self.provider_id is not None and other:
            errors["provider_other"] = _("Choose the provider or name another one, not both.")
        errors.update(self._outcome_errors())
        if errors:
            raise ValidationError(errors)

    def _outcome_errors(self) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        employed = self.outcome == VocationalOutcome.EMPLOYED
        finished = self.outcome in (VocationalOutcome.EMPLOYED, VocationalOutcome.COMPLETED)
        reason = str(self.no_end_reason or "").strip()
        if self.started_on and self.ended_on and self.ended_on < self.started_on:
            errors["ended_on"] = _("The end cannot be before the start.")
        elif self.outcome == VocationalOutcome.ONGOING and self.ended_on:
            errors["outcome"] = _(
                "Support with an end date is no longer ongoing: give its outcome."
            )
        elif finished and not self.ended_on and not reason:
            errors["ended_on"] = _("Give the end date, or say why there is none.")
        if reason and (self.ended_on or not finished):
            errors["no_end_reason"] = _("Only say why there is no end date when there is none.")
        if not employed and str(self.employer or "").strip():
            errors["employer"] = _("An employer is recorded only when the outcome is “employed”.")
        if not employed and self.income_band:
            errors["income_band"] = _("Income is recorded only when the outcome is “employed”.")
        return errors
