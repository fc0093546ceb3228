"""The audit actions of register imports."""

from django.utils.translation import gettext_lazy as _

from audit.registry import register

REGISTER_IMPORTED = register("register_imported", _("Imported a register file"))
REGISTER_IMPORT_REFUSED = register("register_import_refused", _("A register import was refused"))
# One event per batch of rows an import wrote at once (registers.bulk, D44): the import's
# id, the sheet, the rows, and every person and record written (``detail.people``).
REGISTER_IMPORT_ROWS = register("register_import_rows", _("Wrote rows of a register import"))
