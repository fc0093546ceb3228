from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Coverage figures: the indicator registry, plans and targets, the dashboard, reports.

    The registry (``reports.registry``) sits below the feature apps that own figures:
    methadone, referrals and later apps register their indicators into it from their own
    ``ready()``, so a new indicator never edits this app.
    """

    name = "reports"
    verbose_name = _("Coverage figures")

    def ready(self) -> None:
        # Importing registers the audit actions.
        from . import events_export  # noqa: F401
