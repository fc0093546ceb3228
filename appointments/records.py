"""The appointment as a record type (D46): one spec, wired by ``cases.records.register``.

A referral's receiver sees appointments only when it shares ``treatment``: the kinds
(methadone review, post-rehab check-in, hearing) belong to the treatment's schedule.
"""

from django.utils.translation import gettext_lazy as _

from cases import records

from .models import Appointment, Kind, Status

APPOINTMENTS = records.RecordType(
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
)

# A calendar page listed appointments (one event naming the people shown).
LISTED = "appointments_listed"
# A calendar file (ICS) was downloaded: no person is named in it, nor in the event.
EXPORTED = "appointments_exported"
