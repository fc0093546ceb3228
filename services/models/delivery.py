"""Services planned for and delivered to a person, one dated record each."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import numberformat
from django.utils.formats import get_format
from django.utils.translation import gettext_lazy as _

from cases.models import Organisation
from core.fields import EncryptedTextField

from .base import CaseRecord
from .catalogue import ServiceType


class ServiceStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


class ServiceRecord(CaseRecord):
    """A service from the catalogue, planned (with a due date) or delivered (with its date)."""

    timeline_label = _("Service")

    service_type = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, related_name="+", verbose_name=_("service")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ServiceStatus.choices, default=ServiceStatus.PLANNED
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)
    provider = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("provider"),
    )
    # Who is to see it done (planned) and who delivered it (delivered).
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("responsible staff"),
    )
    amount = models.DecimalField(
        _("amount (VND)"), max_digits=14, decimal_places=0, null=True, blank=True
    )
    note = EncryptedTextField(_("note"))

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        indexes = [
            models.Index(fields=["case", "delivered_on"], name="service_case_date"),
            # Open items by who must do them and when: the start page's due list.
            models.Index(
                fields=["responsible", "due_on"],
                name="service_due_open",
                condition=Q(status="planned"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="planned") | Q(due_on__isnull=False),
                name="service_planned_has_due",
            ),
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_on__isnull=False),
                name="service_delivered_has_date",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="service_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.service_type} – {self.short_id}"

    @property
    def amount_display(self) -> str:
        """Return the amount in the active language's grouping, with the đồng sign."""
        if self.amount is None:
            return ""
        grouped = numberformat.format(
            self.amount,
            get_format("DECIMAL_SEPARATOR"),
            decimal_pos=0,
            grouping=3,
            thousand_sep=get_format("THOUSAND_SEPARATOR"),
            force_grouping=True,
        )
        return f"{grouped} ₫"

    @property
    def when(self) -> Any:
        """Return the date the timeline sorts this record by."""
        return self.delivered_on or self.due_on or self.created_at.date()

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.status == ServiceStatus.PLANNED and not self.due_on:
            errors["due_on"] = _("A planned service needs the date it is due.")
        if self.status == ServiceStatus.DELIVERED and not self.delivered_on:
            errors["delivered_on"] = _("Give the date the service was delivered.")
        service = self.service_type if self.service_type_id else None
        if service is not None:
            if self.amount is not None and self.amount <= 0 and service.records_amount:
                errors["amount"] = _("The amount must be more than 0 VND.")
            elif self.amount is not None and not service.records_amount:
                errors["amount"] = _("No amount is recorded for this service.")
            delivered = self.status == ServiceStatus.DELIVERED
            if delivered and service.records_amount and self.amount is None:
                errors["amount"] = _("Give the amount paid, in VND.")
            if self.case_id and not service.offered_to(self.case.category):
                errors["service_type"] = _("This service is not offered to this client category.")
        if errors:
            raise ValidationError(errors)
