"""The actions the audit app itself records."""

from django.utils.translation import gettext_lazy as _

from .registry import LIST, register


class AuditAction:
    EXPORT = register("export", _("Exported"), kind=LIST)
