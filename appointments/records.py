"""The appointment as a record type (D46): one spec, wired by ``cases.records.register``.

A referral's receiver sees appointments only when it shares ``treatment``: the kinds
(methadone review, post-rehab check-in, hearing) belong to the treatment's schedule.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _

from cases import records

from .models import Appointment, Kind, Status

APPOINTMENTS: records.RecordType[Appointment] = records.RecordType(
    model=Appointment,
    name="appointment",  # events appointment_added/_changed, verbs appointment.add/.change
    label=_("Appointment"),
    added=_("Added an appointment"),
    changed=_("Changed an appointment"),
    date_field="starts_on",
    title=lambda appointment: Kind(appointment.kind).label,  # never the place or a name
    detail_url="appointments:appointment_detail",
    add_url="appointments:appointment_add",
    part="treatment",
    # Scheduled and not yet recorded as done, missed or cancelled: "Coming up" on the case.
    planned=lambda appointment: appointment.status == Status.SCHEDULED,
    # The API (D58): the page's form and actions (the staff member's checks included).
    api=records.Api(
        path="appointments",
        id_param="appointment_id",
        fields=("kind", "starts_on", "starts_at", "duration_minutes", "place", "staff", "status"),
        writable=("kind", "starts_on", "starts_at", "duration_minutes", "place", "staff", "status"),
        form=lambda data, row, user: _form(data, row, user),
        add=lambda actor, row: _actions().appointment_add(actor=actor, appointment=row),
        change=lambda actor, row, version: _actions().appointment_change(
            actor=actor, appointment=row, if_version=version
        ),
    ),
)


def _form(data: dict[str, Any], row: Appointment, user: Any) -> Any:
    from .forms import AppointmentForm

    return AppointmentForm(data, instance=row, user=user)


def _actions() -> Any:
    from . import actions

    return actions


# A calendar page listed appointments (one event naming the people shown).
LISTED = "appointments_listed"
# A calendar file (ICS) was downloaded: no person is named in it, nor in the event.
EXPORTED = "appointments_exported"
