"""Who may manage the shared calendar data (public holidays)."""

from django.utils.translation import gettext_lazy as _

from core.capabilities import declare
from core.roles import Role

HOLIDAYS_MANAGE = declare(
    "holidays.manage",
    roles=(Role.ADMINISTRATOR,),
    label=_("Manage public holidays"),
    model_permissions=[
        f"calendar_days.{verb}_publicholiday" for verb in ("view", "add", "change", "delete")
    ],
)
