"""The case plan's goals and the closing and re-opening of a case (issue 28 item 2, D45).

Imported by ``cases.models`` so that Django finds them; kept apart so the plan and the
closure do not grow the models module further.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from audit.history import RequestIdHistory
from core.editing import Versioned
from core.fields import EncryptedTextField


class GoalStatus(models.TextChoices):
    OPEN = "open", _("In progress")
    ACHIEVED = "achieved", _("Achieved")
    DROPPED = "dropped", _("Dropped")


class PlanGoal(Versioned):
    """One line of a case plan: a need, the goal that answers it, the agreed actions, who
    does them by when, and when the goal is next reviewed. Free text is encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="plan_goals", verbose_name=_("case")
    )
    need = EncryptedTextField(
        _("need (found by screening or assessment)"), max_length=2000, blank=False
    )
    goal = EncryptedTextField(_("goal"), max_length=2000, blank=False)
    actions = EncryptedTextField(_("agreed actions"), max_length=4000, blank=False)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible person"),
    )
    due_on = models.DateField(_("actions due on"))
    review_on = models.DateField(_("next review on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=GoalStatus, default=GoalStatus.OPEN
    )
    reviewed_on = models.DateField(_("last reviewed on"), null=True, blank=True)
    review_note = EncryptedTextField(_("review note"), max_length=4000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(bases=[RequestIdHistory])

    class Meta:
        verbose_name = _("plan goal")
        verbose_name_plural = _("plan goals")
        indexes = [
            models.Index(fields=["case", "due_on"], name="plangoal_case_due"),
            # The due list reads each user's open goals in date order off these.
            models.Index(
                fields=["responsible", "review_on"],
                name="plangoal_review_due",
                condition=Q(status="open"),
            ),
            models.Index(
                fields=["responsible", "due_on"],
                name="plangoal_actions_due",
                condition=Q(status="open"),
            ),
        ]

    def __str__(self) -> str:
        return f"goal {self.id.hex[:8]}"


class ClosureKind(models.TextChoices):
    CLOSE = "close", _("Closing")
    REOPEN = "reopen", _("Re-opening")


class ClosureReason(models.TextChoices):
    GOALS_MET = "goals_met", _("The plan's goals were met")
    TERM_ENDED = "term_ended", _("The term of treatment or management ended")
    TRANSFERRED = "transferred", _("Moved or transferred to another area")
    NO_LONGER_ELIGIBLE = "not_eligible", _("No longer in the client category")
    REFUSED = "refused", _("The person refused further support")
    LOST_CONTACT = "lost_contact", _("Contact lost")
    DIED = "died", _("The person died")
    OTHER = "other", _("Other (say in the summary)")


class ClosureStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    DONE = "done", _("Done")  # no approval needed: applied when asked


class CaseClosure(Versioned):
    """A closing of a case (with its reason and summary, and its approval where needed) or a
    re-opening (with its reason). The case's status changes only through these rows."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="closures", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ClosureKind, editable=False)
    reason = models.CharField(
        _("reason for closing"), max_length=20, choices=ClosureReason, blank=True
    )
    # The closing summary, or the reason for re-opening: free text about the person.
    summary = EncryptedTextField(_("summary"), max_length=4000, blank=False)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ClosureStatus, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    asked_on = models.DateField(_("asked on"), default=timezone.localdate, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    refusal = EncryptedTextField(_("reason for refusing"), max_length=4000)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(bases=[RequestIdHistory])

    class Meta:
        verbose_name = _("case closure")
        verbose_name_plural = _("case closures")
        indexes = [
            models.Index(
                fields=["requested_at"], name="closure_pending", condition=Q(status="pending")
            )
        ]
        constraints = [
            # One request waits per case at a time.
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="pending"), name="closure_one_pending"
            ),
            # The database's own word on "never your own request" (D45).
            models.CheckConstraint(
                condition=~Q(decided_by=models.F("requested_by")),
                name="closure_decided_by_another",
            ),
            models.CheckConstraint(
                condition=Q(kind="reopen") | (~Q(reason="") & Q(closed_on__isnull=False)),
                name="closure_has_reason_and_date",
            ),
        ]

    def __str__(self) -> str:
        return f"closure {self.id.hex[:8]}"
