from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Referrals")

    def ready(self) -> None:
        from cases import access, timeline

        from . import events, sharing  # noqa: F401  (registers the audit actions)

        access.register_parts(sharing.parts_for)
        timeline.register(sharing.timeline_entries)
        sharing.register_record_parts()
