from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistersConfig(AppConfig):
    name = "registers"
    verbose_name = _("Registers (import and export)")

    def ready(self) -> None:
        from accounts.capabilities import can
        from core import navigation

        from . import capabilities, events  # (declare verbs, register actions)

        navigation.add(
            _("Import a register"),
            "registers:import_start",
            allowed=lambda user: can(user, capabilities.REGISTER_IMPORT),
            order=80,
        )
        del events
