"""Who may manage the shared calendar data (public holidays)."""

from django.utils.translation import gettext_lazy as _

from accounts.capabilities import declare
from accounts.choices import Role

HOLIDAYS_MANAGE = declare(
    "holidays.manage", roles=(Role.ADMINISTRATOR,), label=_("Manage public holidays"),
    model_permissions=[
        f"core.{verb}_publicholiday" for verb in ("view", "add", "change", "delete")
    ],
)  # fmt: skip
