from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    default = True
    name = "core"
    # No models of its own (the calendar moved to calendar_days), so no admin section.

    def ready(self) -> None:
        # Importing registers the system checks.
        from . import checks, metrics  # noqa: F401

        metrics.connect_signals()


class HoaNhapAdminConfig(admin_apps.AdminConfig):
    """The admin, on our site class (second factor, one login page, a link back)."""

    default = False
    default_site = "core.adminsite.HoaNhapAdminSite"

    def ready(self) -> None:
        super().ready()  # autodiscover: every installed app's admin module registers
        from django.contrib import admin
        from django_tasks_db.models import DBTaskResult

        # The task queue's rows (ids, tracebacks) are read with the worker's logs, not in
        # the admin: no page of it to secure (docs/operations.md).
        if admin.site.is_registered(DBTaskResult):
            admin.site.unregister(DBTaskResult)
