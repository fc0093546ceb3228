from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistersConfig(AppConfig):
    name = "registers"
    verbose_name = _("Registers (import and export)")

    def ready(self) -> None:
        from accounts.capabilities import can
        from core import navigation

        # Importing declares the verbs and registers the audit actions.
        from . import capabilities, events, export_capabilities, export_events  # noqa: F401

        navigation.add(
            _("Import a register"),
            "registers:import_start",
            allowed=lambda user: can(user, capabilities.REGISTER_IMPORT),
            order=80,
        )
        navigation.add(
            _("Export a register"),
            "registers_export:page",
            order=70,
            allowed=lambda user: can(user, export_capabilities.REGISTER_EXPORT),
        )
