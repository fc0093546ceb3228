"""The indicators of the provincial plans (definitions in ``docs/indicators.md``).

``register_all`` adds the groups, the breakdowns and the reports app's own indicators to the
registry; methadone and referrals register theirs from their own ``ready()``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .. import registry

GROUPS = (
    registry.Group("treatment", _("Treatment coverage"), 10),
    registry.Group("screening", _("Counselling and screening"), 20),
    registry.Group("postrehab", _("Post-rehab support"), 30),
    registry.Group("users", _("Illegal drug users"), 40),
    registry.Group("victims", _("Returned trafficking victims"), 50),
    registry.Group("registrations", _("New registrations"), 60),
    registry.Group("methadone", _("Methadone"), 70),
    registry.Group("quality", _("Quality of treatment"), 80),
    registry.Group("referrals", _("Referrals"), 90),
)


def register_all() -> None:
    """Register the groups, the breakdowns and the reports app's indicators."""
    from .definitions import all_breakdowns, all_indicators

    for group in GROUPS:
        registry.register_group(group)
    for breakdown in all_breakdowns():
        registry.register_breakdown(breakdown)
    for indicator in all_indicators():
        registry.register(indicator)
