from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistersConfig(AppConfig):
    name = "registers"
    verbose_name = _("Registers (import and export)")

    def ready(self) -> None:
        from . import events  # noqa: F401  (registers the audit actions)
        from . import export_capabilities, export_events  # noqa: F401
