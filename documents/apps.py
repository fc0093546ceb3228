from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Documents")

    def ready(self) -> None:
        from audit import registry
        from cases import records

        from .records import DOCUMENTS, DOWNLOADED

        records.register(DOCUMENTS)
        registry.register(DOWNLOADED, _("Opened a document's file"), kind=registry.READ)
