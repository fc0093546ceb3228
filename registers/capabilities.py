"""Who may import a register file (what it may touch: the importer's scope, row by row)."""

from django.utils.translation import gettext_lazy as _

from accounts.capabilities import declare
from cases.capabilities import WRITE_ROLES

REGISTER_IMPORT = declare(
    "register.import", roles=WRITE_ROLES, label=_("Import a register file (Excel or CSV)")
)
