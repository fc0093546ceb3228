"""The example app's own verbs: who may change a case note (scope follows the case)."""

from accounts.capabilities import declare
from cases.capabilities import WRITE_ROLES

CASENOTE_CHANGE = declare(
    "casenote.change", roles=WRITE_ROLES, scope="change", label="Change a case note"
)
