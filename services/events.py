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
    TIMELINE_READ = register("timeline_read", _("Viewed a person's timeline"), kind=READ)
