"""Who may take a register out of the system (decision D40).

The export is the largest read there is: every identifying field of every person in a
scope, in a file that leaves the system. So it is a verb of its own, held by the roles
that keep a register (caseworkers for their caseload and organisation, commune officers for
their commune, supervisors for their area), never by auditors or administrators, who see no
case content; ``registers.export_scope`` decides which people.
"""

from django.utils.translation import gettext_lazy as _

from accounts.capabilities import declare
from accounts.choices import Role

REGISTER_EXPORT = declare(
    "register.export",
    roles=(Role.CASEWORKER, Role.COMMUNE_OFFICER, Role.SUPERVISOR),
    label=_("Export a register (the people and records of one's scope)"),
)
