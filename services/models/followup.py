"""Post-rehab management periods and follow-ups (check-ins, reintegration visits)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField

from .base import CaseRecord


class PostRehabOutcome(models.TextChoices):
    ONGOING = "ongoing", _("Ongoing")
    COMPLETED = "completed", _("Completed")
    RELAPSED = "relapsed", _("Relapsed")
    MOVED = "moved", _("Moved away")
    DIED = "died", _("Died")


class PostRehabPeriod(CaseRecord):
    """The period of post-rehab management (quản lý sau cai nghiện) after treatment."""

    timeline_label = _("Post-rehab management")

    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("responsible commune officer"),
    )  # fmt: skip
    started_on = models.DateField(_("started on"))
    planned_end_on = models.DateField(_("planned end"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=PostRehabOutcome.choices,
        default=PostRehabOutcome.ONGOING,
    )  # fmt: skip

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
        ]

    def __str__(self) -> str:
        return f"{self.timeline_label} – {self.short_id}"

    @property
    def when(self) -> Any:
        return self.started_on


class FollowUpKind(models.TextChoices):
    POST_REHAB_CHECKIN = "post_rehab_checkin", _("Post-rehab check-in")
    REINTEGRATION_VISIT = "reintegration_visit", _("Reintegration follow-up visit")
    OTHER = "other", _("Other follow-up")


class FollowUp(CaseRecord):
    """A follow-up contact: planned with a due date, then done on a date with a note."""

    timeline_label = _("Follow-up")

    kind = models.CharField(_("kind"), max_length=30, choices=FollowUpKind.choices)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True,
        blank=True, verbose_name=_("responsible staff"),
    )  # fmt: skip
    note = EncryptedTextField(_("note"))

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [
            models.Index(fields=["case", "due_on"], name="followup_case_due"),
            models.Index(
                fields=["responsible", "due_on"],
                name="followup_due_open",
                condition=Q(done_on__isnull=True),
            ),  # fmt: skip
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__isnull=False) | Q(done_on__isnull=False),
                name="followup_due_or_done",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.short_id}"

    @property
    def when(self) -> Any:
        return self.done_on or self.due_on
