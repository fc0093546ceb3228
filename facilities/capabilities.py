"""Who may read and write the facility registry: supervisors and administrators of a unit,
over the facilities standing in their unit's subtree (``selectors.facilities_for``)."""

from django.utils.translation import gettext_lazy as _

from accounts.capabilities import declare
from accounts.choices import Role

REGISTRY_ROLES = (Role.SUPERVISOR, Role.ADMINISTRATOR)

FACILITY_VIEW = declare(
    "facilities.view", roles=REGISTRY_ROLES, label=_("See the facility registry")
)
FACILITY_CHANGE = declare(
    "facilities.change",
    roles=REGISTRY_ROLES,
    label=_("Add and change facility profiles"),
)
REVIEW_RECORD = declare(
    "facilities.review",
    roles=REGISTRY_ROLES,
    label=_("Record reviews of a facility against the conditions"),
)
