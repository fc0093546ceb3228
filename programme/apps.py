from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammeConfig(AppConfig):
    """Staff training and communication activities (issue 29, D48): their records, pages,
    demo data and indicators, plugged into reports' registry from here."""

    name = "programme"
    verbose_name = _("Training and communication")

    def ready(self) -> None:
        from cases import demo as cases_demo
        from core import navigation

        # Importing declares the capabilities and registers the audit actions.
        from . import capabilities, demo, events, indicators  # noqa: F401

        navigation.add(
            _("Training and communication"), "programme:index", allowed=_may_view, order=66
        )
        cases_demo.register(demo.seed)
        indicators.register()  # the figures registry (reports): TRAIN_* and ACT_*


def _may_view(user: Any) -> bool:
    from accounts.capabilities import can

    from .capabilities import PROGRAMME_VIEW

    return can(user, PROGRAMME_VIEW)
