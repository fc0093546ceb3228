"""The audit actions of register exports (registers.export)."""

from django.utils.translation import gettext_lazy as _

from audit.registry import LIST, register


class ExportAction:
    # One event per slice of people written to an export file, naming them
    # (``detail.people``), the export's id, scope and format: a list read, so "who saw this
    # person" and the unusual-activity counts find it.
    REGISTER_EXPORTED = register("register_exported", _("Exported a register"), kind=LIST)
    # A large export queued for the background worker (no one is read yet).
    REGISTER_EXPORT_QUEUED = register("register_export_queued", _("Queued a register export"))
    # A queued export's file handed to the user who asked for it.
    REGISTER_EXPORT_DOWNLOADED = register(
        "register_export_downloaded", _("Downloaded a register export")
    )
