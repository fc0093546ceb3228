"""The indicators of the provincial plans (definitions in ``docs/indicators.md``).

``register_all`` adds the groups, the breakdowns and the reports app's own indicators to the
registry; methadone and referrals register theirs from their own ``ready()``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .. import registry

# A group's short name is its sheet's name in the report (Excel: 31 characters at most).
GROUPS = (
    registry.Group(
        "treatment",
        _("Treatment coverage"),
        10,
        pgettext_lazy("sheet name", "Treatment coverage"),
    ),
    registry.Group("screening", _("Counselling and screening"), 20),
    registry.Group("postrehab", _("Post-rehab support"), 30),
    registry.Group(
        "users",
        _("Illegal drug users"),
        40,
        pgettext_lazy("sheet name", "Drug users"),
    ),
    registry.Group(
        "victims",
        _("Returned trafficking victims"),
        50,
        pgettext_lazy("sheet name", "Returned victims"),
    ),
    registry.Group(
        "registrations",
        _("New registrations"),
        60,
        pgettext_lazy("sheet name", "New registrations"),
    ),
    registry.Group("methadone", _("Methadone"), 70),
    registry.Group(
        "quality",
        _("Quality of treatment"),
        80,
        pgettext_lazy("sheet name", "Treatment quality"),
    ),
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
