"""The audit actions of the figures report (reports.export)."""

from django.utils.translation import gettext_lazy as _

from audit.registry import register


class ExportAction:
    # One event per report file built (XLSX or CSV), naming the unit, periods and whether it
    # was made for sharing.
    REPORT_EXPORTED = register("figures_report_exported", _("Exported a figures report"))
