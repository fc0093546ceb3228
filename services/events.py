"""The audit actions of service records (the object type names which kind of record)."""

from django.utils.translation import gettext_lazy as _

from audit.registry import READ, register


class ServiceAction:
    RECORD_ADDED = register("service_record_added", _("Added a service record"))
    RECORD_CHANGED = register("service_record_changed", _("Changed a service record"))
    # A returnee's location or contact details were shown unmasked.
    LOCATION_REVEALED = register(
        "location_revealed", _("Showed a returnee's location or contact details"), kind=READ
    )
    # Post-rehab check-ins planned by a period, and those its closing made unnecessary.
    CHECKIN_PLANNED = register("checkin_planned", _("Planned a post-rehab check-in"))
    CHECKIN_CANCELLED = register("checkin_cancelled", _("Cancelled a planned post-rehab check-in"))
    # A planned follow-up (a check-in, a visit) recorded as done: its date and how it went.
    FOLLOWUP_DONE = register("followup_done", _("Recorded a follow-up visit"))
    # The service catalogue (administrators, in the admin site).
    SERVICE_TYPE_SAVED = register("service_type_saved", _("Changed the service catalogue"))
    TIMELINE_READ = register("timeline_read", _("Viewed a person's timeline"), kind=READ)
