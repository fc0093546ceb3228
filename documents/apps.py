from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Documents")

    def ready(self) -> None:
        from audit import registry
        from cases import records, timeline

        from .records import DOCUMENTS, DOWNLOADED, REENCRYPTED, REPLACED, WITHDRAWN
        from .selectors import person_documents, record_documents

        records.register(DOCUMENTS)
        timeline.register_person_section(person_documents)
        timeline.register_record_section(record_documents)
        registry.register(DOWNLOADED, _("Opened a document's file"), kind=registry.READ)
        registry.register(WITHDRAWN, _("Withdrew a document (its file destroyed)"))
        registry.register(REPLACED, _("Replaced a document by a new version"))
        registry.register(REENCRYPTED, _("Sealed a document's file under a new data key"))
