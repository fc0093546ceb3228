from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacilitiesConfig(AppConfig):
    """The facility registry (issue 29, D49): profiles, condition reviews, occupancy.

    It stands above ``reports`` (beside referrals, documents and appointments) and plugs its
    indicators into the figures registry from here, as methadone does.
    """

    name = "facilities"
    verbose_name = _("Facility registry")

    def ready(self) -> None:
        from accounts.capabilities import can
        from cases import demo as cases_demo
        from core import navigation

        # Importing declares the capabilities and registers the audit actions.
        from . import capabilities, demo, events, indicators  # noqa: F401

        navigation.add(
            _("Facilities"),
            "facilities:facility_list",
            allowed=lambda user: can(user, capabilities.FACILITY_VIEW),
            order=66,
        )
        cases_demo.register(demo.seed)
        indicators.register()  # the figures registry (reports): FAC_* indicators
