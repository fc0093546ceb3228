"""Post-rehab management periods and follow-ups (check-ins, reintegration visits)."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField

from ..regulations import add_months
from .base import CaseRecord


class PostRehabOutcome(models.TextChoices):
    ONGOING = "ongoing", _("Ongoing")
    COMPLETED = "completed", _("Completed")
    RELAPSED = "relapsed", _("Relapsed")
    MOVED = "moved", _("Moved away")
    DIED = "died", _("Died")


# Law 73/2021/QH14, art. 40: one year of post-rehab management after voluntary treatment,
# methadone treatment or a minor's compulsory treatment; two years after an adult's
# compulsory treatment at a facility. No period may be planned longer than that.
LONGEST_PERIOD_YEARS = 2


def years_after(day: datetime.date, years: int) -> datetime.date:
    """Return the same calendar day ``years`` later (28 February for 29 February)."""
    return add_months(day, 12 * years)


class PostRehabPeriod(CaseRecord):
    """The period of post-rehab management (quản lý sau cai nghiện) after treatment."""

    timeline_label = _("Post-rehab management")

    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible commune officer"),
    )
    started_on = models.DateField(_("started on"))
    planned_end_on = models.DateField(_("planned end"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"),
        max_length=20,
        choices=PostRehabOutcome.choices,
        default=PostRehabOutcome.ONGOING,
    )

    class Meta:
        verbose_name = _("post-rehab management")
        verbose_name_plural = _("post-rehab management periods")
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="postrehab_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(planned_end_on__gte=models.F("started_on")),
                name="postrehab_planned_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(outcome="ongoing", ended_on__isnull=True)
                | (~Q(outcome="ongoing") & Q(ended_on__isnull=False)),
                name="postrehab_ended_iff_outcome",
            ),
            # One open period per case.
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(outcome="ongoing"),
                name="postrehab_one_open_per_case",
                violation_error_message=_(
                    "This case already has an open post-rehab management period: close it first."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.timeline_label} – {self.short_id}"

    @property
    def when(self) -> Any:
        return self.started_on

    @property
    def is_open(self) -> bool:
        return self.outcome == PostRehabOutcome.ONGOING

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        start, planned, ended = self.started_on, self.planned_end_on, self.ended_on
        if start and planned:
            if planned < start:
                errors["planned_end_on"] = _("The planned end cannot be before the start.")
            elif planned > years_after(start, LONGEST_PERIOD_YEARS):
                errors["planned_end_on"] = _(
                    "Post-rehab management lasts one year, or two after compulsory treatment "
                    "at a facility (Law 73/2021/QH14, art. 40): the planned end is too late."
                )
        if start and ended and ended < start:
            errors["ended_on"] = _("The end cannot be before the start.")
        if self.outcome == PostRehabOutcome.ONGOING and ended:
            errors["outcome"] = _("Give the outcome of a period that has ended.")
        if self.outcome != PostRehabOutcome.ONGOING and not ended:
            errors["ended_on"] = _("Give the date the period ended.")
        if errors:
            raise ValidationError(errors)


class FollowUpKind(models.TextChoices):
    POST_REHAB_CHECKIN = "post_rehab_checkin", _("Post-rehab check-in")
    REINTEGRATION_VISIT = "reintegration_visit", _("Reintegration follow-up visit")
    OTHER = "other", _("Other follow-up")


class FollowUp(CaseRecord):
    """A follow-up contact: planned with a due date, then done on a date with a note."""

    timeline_label = _("Follow-up")

    kind = models.CharField(_("kind"), max_length=30, choices=FollowUpKind.choices)
    # The post-rehab period that planned this check-in (none for other follow-ups).
    period = models.ForeignKey(
        PostRehabPeriod,
        on_delete=models.PROTECT,
        related_name="checkins",
        null=True,
        blank=True,
        editable=False,
        verbose_name=_("post-rehab management"),
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    # Set when the plan no longer needs it (its period closed): kept, never deleted.
    cancelled_on = models.DateField(_("cancelled on"), null=True, blank=True, editable=False)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("responsible staff"),
    )
    note = EncryptedTextField(_("note"))

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [
            models.Index(fields=["case", "due_on"], name="followup_case_due"),
            models.Index(
                fields=["responsible", "due_on"],
                name="followup_due_open",
                condition=Q(done_on__isnull=True, cancelled_on__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__isnull=False) | Q(done_on__isnull=False),
                name="followup_due_or_done",
            ),
            models.CheckConstraint(
                condition=Q(done_on__isnull=True) | Q(cancelled_on__isnull=True),
                name="followup_not_done_and_cancelled",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.short_id}"

    @property
    def when(self) -> Any:
        return self.done_on or self.due_on

    @property
    def is_open(self) -> bool:
        return self.done_on is None and self.cancelled_on is None

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if not self.due_on and not self.done_on:
            errors["due_on"] = _("Give the date it is due, or the date it was done.")
        if self.cancelled_on and self.done_on:
            errors["done_on"] = _("This follow-up was cancelled; plan a new one instead.")
        checkin = self.kind == FollowUpKind.POST_REHAB_CHECKIN
        if checkin and self.done_on and not str(self.note or "").strip():
            errors["note"] = _("Say how the check-in went.")
        if errors:
            raise ValidationError(errors)
