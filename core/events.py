"""The calendar actions an access event can record."""

from django.utils.translation import gettext_lazy as _

from audit.registry import register


class CoreAction:
    # A holiday file loaded by ``manage.py load_holidays`` (admin edits go to the admin log).
    HOLIDAYS_LOADED = register("holidays_loaded", _("Loaded public holidays from a file"))
