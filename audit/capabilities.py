"""What the auditor may do with the audit trail."""

from django.utils.translation import gettext_lazy as _

from core.capabilities import declare
from core.roles import Role

AUDIT_VIEW = declare(
    "audit.view",
    roles=(Role.AUDITOR,),
    label=_("Read the audit trail"),
    model_permissions=["audit.view_event", "audit.view_seal"],
)
AUDIT_EXPORT = declare("audit.export", roles=(Role.AUDITOR,), label=_("Export the audit trail"))
