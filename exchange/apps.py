from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = _("Data exchange")

    def ready(self) -> None:
        from cases import timeline

        from . import (
            events,  # noqa: F401  (registers the event codes)
            selectors,
        )

        # Whole-case viewers only (no part): a referral's receiver sees none of them.
        timeline.register(selectors.received_entries)
