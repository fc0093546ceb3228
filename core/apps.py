from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    default = True
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)


class HoaNhapAdminConfig(admin_apps.AdminConfig):
    """The admin, on our site class (second factor, one login page, a link back)."""

    default = False
    default_site = "core.adminsite.HoaNhapAdminSite"
