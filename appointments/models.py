"""Appointments on a case (issue 28 item 5, decision D46): who meets the person, when, where."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from audit.history import RequestIdHistory
from cases.models import Case
from core.editing import Versioned

PLACE_MAX = 200


class Kind(models.TextChoices):
    METHADONE_REVIEW = "methadone_review", _("Methadone review")
    POST_REHAB = "post_rehab", _("Post-rehab check-in")
    SCREENING = "screening", _("Screening")
    HEARING = "hearing", _("Court or committee hearing")
    OTHER = "other", _("Other appointment")


class Status(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    DONE = "done", _("Done")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


class Appointment(Versioned):
    """A meeting with the person of a case: date, time, place and the staff member.

    Overdue while still scheduled after its time has passed (``is_overdue``): nobody has
    marked it done or missed.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("case")
    )
    kind = models.CharField(
        _("kind of appointment"), max_length=20, choices=Kind, default=Kind.OTHER
    )
    starts_on = models.DateField(_("date"))
    starts_at = models.TimeField(_("time"), null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=30)
    # Shown in calendar files (ICS): a place, never the person (the form says so).
    place = models.CharField(_("place"), max_length=PLACE_MAX)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("staff member"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.SCHEDULED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(bases=[RequestIdHistory])

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        indexes = [
            models.Index(fields=["staff", "starts_on"], name="appointment_staff_day"),
            models.Index(fields=["case", "starts_on"], name="appointment_case_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1) & Q(duration_minutes__lte=24 * 60),
                name="appointment_duration_within_a_day",
            ),
        ]

    def __str__(self) -> str:
        return f"appointment {self.id.hex[:8]}"

    def starts(self) -> datetime.datetime:
        """Return when it starts (the end of its day when no time is set), in local time."""
        at = self.starts_at or datetime.time(23, 59)
        return timezone.make_aware(datetime.datetime.combine(self.starts_on, at))

    @property
    def is_overdue(self) -> bool:
        """Return whether it is past and still scheduled (not marked done, missed, cancelled)."""
        return self.status == Status.SCHEDULED and self.starts() < timezone.now()
