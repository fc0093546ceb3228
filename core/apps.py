from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    default = True
    name = "core"
    # No models of its own (the calendar moved to calendar_days), so no admin section.

    def ready(self) -> None:
        # Importing registers the system checks.
        from . import checks  # noqa: F401


class HoaNhapAdminConfig(admin_apps.AdminConfig):
    """The admin, on our site class (second factor, one login page, a link back)."""

    default = False
    default_site = "core.adminsite.HoaNhapAdminSite"
