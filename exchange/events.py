"""The data exchange's audit actions (docs/exchange.md)."""

from django.utils.translation import gettext_lazy as _

from audit.registry import DENIAL, READ, register


class ExchangeAction:
    DOCUMENT_READ = register(
        "exchange_document_read", _("Read a person's exchange document (liên thông)"), kind=READ
    )
    IMPORTED = register(
        "exchange_imported", _("Took in a person's exchange document from another system")
    )
    REFUSED = register(
        "exchange_refused", _("Refused an exchange document from another system"), kind=DENIAL
    )
    RECORD_RECEIVED = register(
        "exchange_record_received", _("Kept a record received through the data exchange")
    )
