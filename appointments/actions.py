"""Writes of appointments (D46): add and change, through the one recipe's save step."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from cases import access, records
from core.editing import IfVersion

from .models import Appointment

# appointments.records names these actions for the API (D58): the spec is looked up, not
# imported, so the two modules do not import each other.


def staff_choices(actor: access.AnyUser) -> QuerySet[User]:
    """Return whom the actor may put an appointment with: active staff of their own
    organisation whose role may hold a case."""
    return access.assignable_staff(access.case_organisations(actor))


def _check_staff(actor: access.AnyUser, appointment: Appointment, before: object) -> None:
    if appointment.staff_id == before:  # unchanged: the holder may have moved since
        return
    if not staff_choices(actor).filter(pk=appointment.staff_id).exists():
        raise ValidationError({"staff": _("Choose a staff member of your organisation.")})


def appointment_add(*, actor: access.AnyUser, appointment: Appointment) -> Appointment:
    """Save a new appointment on its case and record it."""
    _check_staff(actor, appointment, None)
    appointment.created_by = actor  # type: ignore[assignment]
    return records.spec_for(Appointment).save(actor=actor, instance=appointment)


def appointment_change(
    *, actor: access.AnyUser, appointment: Appointment, if_version: IfVersion
) -> Appointment:
    """Save a changed appointment (its time, place, staff member or status) and record it."""
    before = (
        access.visible(actor, Appointment, "change")
        .filter(pk=appointment.pk)
        .values_list("staff_id", flat=True)
        .first()
    )
    _check_staff(actor, appointment, before)
    spec = records.spec_for(Appointment)
    return spec.save(actor=actor, instance=appointment, if_version=if_version)
