from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CalendarDaysConfig(AppConfig):
    name = "calendar_days"
    verbose_name = _("Calendar")  # public holidays and working days

    def ready(self) -> None:
        # Importing registers the capability and the audit actions.
        from . import capabilities, events  # noqa: F401
