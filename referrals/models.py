"""Referrals (chuyển gửi) between organisations, the consent they rest on, and their steps.

A referral is a case record: it is scoped, versioned and kept in history through its case.
Every change of state is one action that also writes a ``ReferralStep`` (who, when, from which
state to which, with the comment), so the referral's journey reads as a list.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from audit.history import RequestIdHistory
from cases.models import Organisation
from core.fields import NAME_MAX, EncryptedTextField
from services.models import CaseRecord, ServiceType


class ConsentMethod(models.TextChoices):
    SIGNED = "signed", _("Signed by the person")
    VERBAL = "verbal", _("Given verbally, witnessed by staff")
    GUARDIAN = "guardian", _("Given by a parent or guardian")


class Consent(CaseRecord):
    """The person's consent to share their record with another organisation; may be withdrawn."""

    timeline_label = _("Consent to share")

    method = models.CharField(_("how consent was given"), max_length=20, choices=ConsentMethod)
    given_on = models.DateField(_("given on"))
    # Who gave it when it was not the person (a guardian's name): identifying, so encrypted.
    given_by = EncryptedTextField(
        _("given by (if not the person)"), blank=True, max_length=NAME_MAX
    )
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )

    class Meta:
        verbose_name = _("consent to share")
        verbose_name_plural = _("consents to share")

    @property
    def when(self) -> Any:
        return self.given_on

    @property
    def in_force(self) -> bool:
        return self.withdrawn_on is None


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for review")
    RETURNED = "returned", _("Returned for changes")
    APPROVED = "approved", _("Approved, not yet sent")
    SENT = "sent", _("Sent, waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    COMPLETED = "completed", _("Completed")
    REVOKED = "revoked", _("Revoked")


class Part(models.TextChoices):
    """What the receiving organisation may see of the case (minimum necessary)."""

    IDENTITY = "identity", _("Identity and contact details")
    SCREENINGS = "screenings", _("Screening results")
    TREATMENT = "treatment", _("Treatment history")
    NOTES = "notes", _("Notes")
    # Prescriptions, the daily dose log and the patient's methadone figures: shared only when
    # chosen, and together with "treatment" (the methadone episode is a treatment record).
    METHADONE = "methadone", _("Methadone treatment")


class Referral(CaseRecord):
    """A request that another organisation provide a service to the case's person."""

    timeline_label = _("Referral")

    from_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="referrals_sent",
        verbose_name=_("from"),
    )
    to_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="referrals_received",
        verbose_name=_("to"),
    )
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, related_name="+", verbose_name=_("service")
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    # The parts of the case the receiver may see once it accepts (codes of Part).
    parts: Any = models.JSONField(_("shared with the receiver"), default=list)
    consent = models.ForeignKey(
        Consent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("consent"),
    )
    # Sent without consent: only when urgent and approved by a supervisor with a reason.
    urgent = models.BooleanField(_("urgent"), default=False)
    urgent_reason = EncryptedTextField(_("why it cannot wait for consent"), blank=True)
    reason = EncryptedTextField(_("reason for the referral"))
    outcome = EncryptedTextField(_("outcome"), blank=True)
    sent_on = models.DateField(_("sent on"), null=True, blank=True, editable=False)
    # The day the receiver's answer (or the outcome) is due, in working days from sending.
    answer_due_on = models.DateField(_("answer due"), null=True, blank=True, editable=False)
    answered_on = models.DateField(_("answered on"), null=True, blank=True, editable=False)
    closed_on = models.DateField(_("closed on"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [
            models.Index(fields=["to_organisation", "state", "sent_on"], name="referral_inbox"),
            models.Index(
                fields=["from_organisation", "state", "created_at"], name="referral_outbox"
            ),
            models.Index(fields=["state", "answer_due_on"], name="referral_due"),
        ]

    from_organisation_id: uuid.UUID
    to_organisation_id: uuid.UUID
    service_type_id: int

    def __str__(self) -> str:
        return f"{self.service_type} – {self.short_id}"

    @property
    def when(self) -> Any:
        return self.sent_on or self.created_at.date()


class ReferralStep(models.Model):
    """One transition of a referral: the action, the states, the actor, the time, the comment."""

    scope_through = "referral__case"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="steps")
    action = models.CharField(max_length=20)
    from_state = models.CharField(max_length=20, choices=State.choices)
    to_state = models.CharField(max_length=20, choices=State.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    comment = EncryptedTextField(_("comment"), blank=True)

    history = HistoricalRecords(bases=[RequestIdHistory])

    class Meta:
        verbose_name = _("referral step")
        verbose_name_plural = _("referral steps")
        ordering = ["at"]
        indexes = [models.Index(fields=["referral", "at"], name="referral_step_order")]

    def __str__(self) -> str:
        return f"{self.from_state}→{self.to_state}"


class AccessKind(models.TextChoices):
    RECEIVER = "receiver", _("Receiving staff (the chosen parts)")
    FORMER_HOLDER = "former_holder", _("Former holder (read only, for a while)")


class ReferralAccess(models.Model):
    """One user's access to a referral's case that the referral gave: which, until when.

    The object grant itself is guardian's row (``cases.roles.grant_give``); this row says why
    it exists, so the grant ends with the referral and ``cases.access.parts_visible`` knows
    which parts it opens.
    """

    scope_through = "referral__case"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=AccessKind.choices)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    given_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(bases=[RequestIdHistory])

    class Meta:
        verbose_name = _("access given by a referral")
        verbose_name_plural = _("accesses given by referrals")
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "user", "kind"], name="referral_access_once"
            )
        ]
        indexes = [models.Index(fields=["user", "expires_at"], name="referral_access_user")]

    referral_id: uuid.UUID
    user_id: int

    def __str__(self) -> str:
        return f"{self.kind}:{self.user_id}"
