"""Methadone maintenance: prescriptions and the daily dose log of a methadone episode.

A methadone episode (``services.TreatmentEpisode`` with modality ``methadone``) is the
enrolment; its provider is the clinic. Prescriptions are ordinary case records (versioned,
with history). Doses are the one narrow, high-volume table of the system (about 20,000,000
rows nationally): no per-row encryption (a dose is not identifying; the episode links the
person), no per-row history, one row per episode and day. A correction never overwrites
silently: it is a ``DoseCorrection`` row holding the old and new values, written in the same
transaction as the change.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField
from services.models import CaseRecord, TreatmentEpisode


class Phase(models.TextChoices):
    INDUCTION = "induction", _("Induction")
    STABILISATION = "stabilisation", _("Dose adjustment")
    MAINTENANCE = "maintenance", _("Maintenance")
    TAPER = "taper", _("Dose reduction")
    RESTART = "restart", _("Restart after missed doses")


# A documented split of the daily dose into equal parts (1: the whole dose at once).
SPLIT_CHOICES = [(1, _("not split")), (2, _("2 equal parts")), (3, _("3 equal parts"))]


class Prescription(CaseRecord):
    """A dose order for a methadone episode, in force from ``starts_on`` until the next one."""

    timeline_label = _("Methadone prescription")

    episode = models.ForeignKey(
        TreatmentEpisode,
        on_delete=models.PROTECT,
        related_name="prescriptions",
        verbose_name=_("methadone episode"),
    )
    starts_on = models.DateField(_("in force from"))
    dose_mg = models.DecimalField(_("daily dose (mg)"), max_digits=5, decimal_places=1)
    phase = models.CharField(_("phase"), max_length=20, choices=Phase.choices)
    # Take-home doses the patient may be handed at once (0: every dose observed at the clinic).
    take_home_days = models.PositiveSmallIntegerField(_("take-home days allowed"), default=0)
    # A documented split: the daily dose in equal parts (e.g. for a fast metaboliser or in
    # pregnancy); the counter may then give one or more parts. 1: the whole dose at once.
    split_parts = models.PositiveSmallIntegerField(
        _("daily dose split into"), default=1, choices=SPLIT_CHOICES
    )
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("prescriber"),
    )
    reason = EncryptedTextField(_("reason for the change"), blank=True)
    # A change that breaks a guideline rule is allowed only with a written reason, and flagged.
    override_reason = EncryptedTextField(_("reason for overriding the guideline"), blank=True)
    rule_flags = models.JSONField(_("guideline rules overridden"), default=list, blank=True)
    # When the prescriber must look at the order again (a planned review, or a run of missed
    # days); None once a newer prescription replaces it. "Việc của tôi" lists it when due.
    review_due_on = models.DateField(_("review due on"), null=True, blank=True, editable=False)
    review_reason = models.CharField(
        _("why a review is due"), max_length=20, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("methadone prescription")
        verbose_name_plural = _("methadone prescriptions")
        indexes = [
            models.Index(fields=["episode", "starts_on"], name="prescription_episode_day"),
            # The prescriber's reviews due, in date order (cases.dues reads it).
            models.Index(
                fields=["prescriber", "review_due_on"],
                name="prescription_review_due",
                condition=Q(review_due_on__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(dose_mg__gte=0), name="prescription_dose_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(split_parts__gte=1, split_parts__lte=3),
                name="prescription_split_parts_range",
            ),
            models.UniqueConstraint(
                fields=["episode", "starts_on"],
                name="prescription_once_per_day",
                violation_error_message=_(
                    "This episode already has a prescription from that day: edit it instead."
                ),
            ),
        ]

    episode_id: uuid.UUID
    prescriber_id: int

    def __str__(self) -> str:
        return f"{self.dose_mg} mg – {self.short_id}"

    @property
    def when(self) -> Any:
        return self.starts_on

    @property
    def flagged(self) -> bool:
        return bool(self.rule_flags)


class DoseOverride(CaseRecord):
    """A prescriber's dose for one patient and one day, in place of the prescription's.

    The counter gives only the prescribed dose; anything else (a reduced dose after missed
    days, a restart, a one-off change) is this record: who decided it, for which day, how much
    and why (encrypted). It also clears a missed-days block for that day.
    """

    timeline_label = _("Methadone one-day dose")

    episode = models.ForeignKey(
        TreatmentEpisode,
        on_delete=models.PROTECT,
        related_name="dose_overrides",
        verbose_name=_("methadone episode"),
        db_index=False,
    )  # the unique (episode, given_on) index serves every lookup by episode
    given_on = models.DateField(_("day"))
    dose_mg = models.DecimalField(_("dose for that day (mg)"), max_digits=5, decimal_places=1)
    reason = EncryptedTextField(_("reason"))

    class Meta:
        verbose_name = _("methadone one-day dose")
        verbose_name_plural = _("methadone one-day doses")
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "given_on"],
                name="dose_override_once_per_day",
                violation_error_message=_(
                    "This patient already has a one-day dose on that day: change it instead."
                ),
            ),
            models.CheckConstraint(
                condition=Q(dose_mg__gt=0), name="dose_override_amount_positive"
            ),
        ]

    episode_id: uuid.UUID

    def __str__(self) -> str:
        return f"{self.given_on}: {self.dose_mg} mg – {self.short_id}"

    @property
    def when(self) -> Any:
        return self.given_on


class DoseKind(models.IntegerChoices):
    OBSERVED = 1, _("Observed at the clinic")
    TAKE_HOME = 2, _("Take-home")
    MISSED = 3, _("Did not come")


class Dose(models.Model):
    """One day of one methadone episode: the dose taken (observed or take-home) or a no-show.

    ``given_on`` is the day the dose is for (a take-home handed out on Friday for Saturday is
    Saturday's row). A day without a row is an unrecorded day, counted as missed.
    """

    scope_through = "episode__case"

    id = models.BigAutoField(primary_key=True)
    episode = models.ForeignKey(
        TreatmentEpisode, on_delete=models.PROTECT, related_name="doses", db_index=False
    )  # the unique (episode, given_on) index serves every lookup by episode
    given_on = models.DateField(_("day"))
    kind = models.PositiveSmallIntegerField(_("dose"), choices=DoseKind.choices)
    dose_mg = models.DecimalField(
        _("dose (mg)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("methadone dose")
        verbose_name_plural = _("methadone doses")
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "given_on"],
                name="dose_once_per_day",
                violation_error_code="dose_repeated",
                violation_error_message=_(
                    "A dose is already recorded for this patient on this day: correct it instead."
                ),
            ),
            models.CheckConstraint(
                condition=Q(kind=DoseKind.MISSED, dose_mg__isnull=True)
                | (~Q(kind=DoseKind.MISSED) & Q(dose_mg__gt=0)),
                name="dose_amount_iff_taken",
            ),
        ]

    episode_id: uuid.UUID
    recorded_by_id: int

    def __str__(self) -> str:
        return f"{self.given_on}: {self.get_kind_display()}"

    @property
    def taken(self) -> bool:
        return self.kind != DoseKind.MISSED


class DoseCorrection(models.Model):
    """A change to a recorded dose: what it was, what it became, who changed it and why."""

    scope_through = "dose__episode__case"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dose = models.ForeignKey(Dose, on_delete=models.PROTECT, related_name="corrections")
    old_kind = models.PositiveSmallIntegerField(choices=DoseKind.choices)
    # Empty for "did not come" (no amount): blank, or a correction to or from it fails its
    # own validation.
    old_dose_mg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    new_kind = models.PositiveSmallIntegerField(choices=DoseKind.choices)
    new_dose_mg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    reason = EncryptedTextField(_("reason for the correction"))
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    corrected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("dose correction")
        verbose_name_plural = _("dose corrections")

    dose_id: int

    def __str__(self) -> str:
        return f"{self.dose_id}: {self.old_kind}→{self.new_kind}"


def dose_amount(value: Decimal | None) -> str:
    """Return a dose for display: '85 mg', '2.5 mg', or an empty string for none."""
    if value is None:
        return ""
    return f"{value.normalize():f} mg"


def days_between(start: datetime.date, end: datetime.date) -> int:
    """Return the days from ``start`` to ``end`` inclusive (0 if end is before start)."""
    return max((end - start).days + 1, 0)
