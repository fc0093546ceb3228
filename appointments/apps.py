from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppointmentsConfig(AppConfig):
    name = "appointments"
    verbose_name = _("Appointments")

    def ready(self) -> None:
        from audit import registry
        from cases import records, timeline
        from core import navigation

        from . import records as appointment_records
        from .selectors import start_section

        records.register(appointment_records.APPOINTMENTS)
        timeline.register_start_section(start_section)
        registry.register(appointment_records.LISTED, _("Listed appointments"), kind=registry.READ)
        registry.register(
            appointment_records.EXPORTED, _("Exported a calendar file"), kind=registry.READ
        )
        navigation.add(
            _("Appointment calendar"),
            "appointments:calendar",
            order=25,
            allowed=_may_list,
        )


def _may_list(user: Any) -> bool:
    from accounts.capabilities import can
    from cases.capabilities import MY_WORK

    return can(user, MY_WORK)
