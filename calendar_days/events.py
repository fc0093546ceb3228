"""The calendar actions an access event can record."""

from django.utils.translation import gettext_lazy as _

from audit.registry import register


class CalendarAction:
    # A holiday file loaded by ``manage.py load_holidays``.
    HOLIDAYS_LOADED = register("holidays_loaded", _("Loaded public holidays from a file"))
    # One day added, changed or deleted in the admin site (``detail["change"]`` says which).
    HOLIDAY_CHANGED = register("holiday_changed", _("Changed a public holiday"))
