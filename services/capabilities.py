"""Who may see, add and change service records (which records: through their case)."""

from django.utils.translation import gettext_lazy as _

from accounts.capabilities import declare
from accounts.choices import Role
from cases.capabilities import CONTENT_ROLES, WRITE_ROLES

SERVICE_VIEW = declare("service.view", roles=CONTENT_ROLES, label=_("See service records"))
SERVICE_ADD = declare(
    "service.add", roles=WRITE_ROLES, scope="change", label=_("Add a service record")
)
SERVICE_CHANGE = declare(
    "service.change", roles=WRITE_ROLES, scope="change", label=_("Change a service record")
)
# Unmask a returnee's location and contact details (recorded each time).
LOCATION_REVEAL = declare(
    "location.reveal",
    roles=WRITE_ROLES,
    scope="change",
    label=_("See a returnee's location and contact details"),
)
CATALOGUE_MANAGE = declare(
    "catalogue.manage",
    roles=(Role.ADMINISTRATOR,),
    label=_("Manage the service catalogue"),
    model_permissions=[f"services.{verb}_servicetype" for verb in ("view", "add", "change")],
)
