from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from core import health, metrics, navigation
        from core.capabilities import can

        from . import capabilities, choices, history, selectors  # noqa: F401  (registers; stamps history)
        from .append_only import install_history_triggers

        # Once per migrate, after every app's migrations: history tables of any app.
        post_migrate.connect(install_history_triggers, sender=self)
        # The load balancer's /healthz fails when the daily seal stopped (decision D47).
        health.register("audit_seal")(selectors.seal_is_recent)
        metrics.register_gauge(
            "hoa_nhap_audit_seal_age_seconds",
            "Time since the audit chain was last sealed.",
            selectors.seal_age_seconds,
        )

        navigation.add(
            _("Audit"),
            "audit:event_list",
            order=50,
            start_page=True,
            allowed=lambda user: can(user, capabilities.AUDIT_VIEW),
        )
