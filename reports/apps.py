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
        from accounts.capabilities import can
        from cases import capabilities as caps
        from cases import demo as cases_demo
        from core import navigation

        # Importing declares the capabilities and registers the audit actions.
        from . import capabilities, demo, events, events_export  # noqa: F401
        from .indicators import register_all

        # Plans and targets: supervisors (read, and write within their unit's subtree).
        navigation.add(
            _("Plans and targets"),
            "reports:plan_list",
            allowed=lambda user: can(user, capabilities.PLAN_VIEW),
            order=65,
        )
        cases_demo.register(demo.seed)
        navigation.add(
            _("Coverage figures"),
            "reports:dashboard",
            allowed=lambda user: can(user, caps.FIGURES_VIEW),
            order=58,
        )
        register_all()
        # Figures of the standard periods come from the roll-up when it can answer (D37).
        from . import registry, rollup

        registry.set_reader(rollup.answer)
