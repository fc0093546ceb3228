from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MethadoneConfig(AppConfig):
    name = "methadone"
    verbose_name = _("Methadone")

    def ready(self) -> None:
        from accounts.capabilities import can
        from core import navigation

        # Importing registers the audit actions and declares the capabilities.
        from . import capabilities_figures, events_figures  # noqa: F401

        navigation.add(
            _("Methadone figures"), "methadone:clinic_figures",
            allowed=lambda user: can(user, capabilities_figures.CLINIC_FIGURES), order=60,
        )  # fmt: skip
