from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    default = True
    name = "core"
    verbose_name = _("Core")  # no models of its own (the calendar moved to calendar_days)

    def ready(self) -> None:
        # Importing registers the system checks.
        from . import checks  # noqa: F401


class HoaNhapAdminConfig(admin_apps.AdminConfig):
    """The admin, on our site class (second factor, one login page, a link back)."""

    default = False
    default_site = "core.adminsite.HoaNhapAdminSite"
