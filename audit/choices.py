"""The actions the audit app itself records."""

from django.utils.translation import gettext_lazy as _

from .registry import LIST, register


class AuditAction:
    EXPORT = register("export", _("Exported"), kind=LIST)
    # Append-only rows re-encrypted to a new key by rotate_encryption_keys (one per batch).
    REKEYED = register("rekeyed", _("Re-encrypted stored data to a new key"))
    # Row counts of every history table, recorded before each seal (audit.append_only).
    HISTORY_CHECKPOINT = register("history_checkpoint", _("Sealed the change-history row counts"))
