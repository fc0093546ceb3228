"""Who may see a methadone clinic's figures (counts only, never names)."""

from django.utils.translation import gettext_lazy as _

from accounts.capabilities import declare
from accounts.choices import Role

# A clinic's staff see their own clinic; supervisors the clinics of their unit's subtree.
CLINIC_FIGURES = declare(
    "methadone.figures",
    roles=(Role.CASEWORKER, Role.SUPERVISOR),
    label=_("See a methadone clinic's figures"),
)
