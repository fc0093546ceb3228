"""The actions the audit app itself records."""

from django.utils.translation import gettext_lazy as _

from .registry import LIST, LOOKUP, register


class AuditAction:
    EXPORT = register("export", _("Exported"), kind=LIST)
    # Append-only rows re-encrypted to a new key by rotate_encryption_keys (one per batch).
    REKEYED = register("rekeyed", _("Re-encrypted stored data to a new key"))
    # Row counts of every history table, recorded before each seal (audit.append_only).
    HISTORY_CHECKPOINT = register("history_checkpoint", _("Sealed the change-history row counts"))
    # The auditor looked a person up by citizen ID to start "who saw this person" from it.
    PERSON_LOOKUP = register(
        "audit_person_lookup", _("Looked up a person by citizen ID (audit)"), kind=LOOKUP
    )
