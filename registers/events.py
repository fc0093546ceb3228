"""The audit actions of register imports."""

from django.utils.translation import gettext_lazy as _

from audit.registry import register

REGISTER_IMPORTED = register("register_imported", _("Imported a register file"))
REGISTER_IMPORT_REFUSED = register("register_import_refused", _("A register import was refused"))
