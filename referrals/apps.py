from collections.abc import Callable
from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Referrals")

    def ready(self) -> None:
        from cases import access, timeline

        from . import events, sharing  # noqa: F401  (registers the audit actions)

        access.register_parts(sharing.parts_for)
        # Any viewer of a case: the source itself shows a part-limited viewer only the
        # referrals they may open.
        timeline.register(sharing.timeline_entries, part=access.ANY_PART)
        sharing.register_record_parts()

        self._ready_pages()

    def _ready_pages(self) -> None:
        """Declare the pages, menu, start-page counts, timeline and demo data."""
        from cases import demo as cases_demo
        from cases import timeline
        from core import navigation

        from . import demo, figures, notify, selectors  # noqa: F401  (notify: its verbs)

        navigation.add(_("Referrals"), "referrals:queue", allowed=_content_holder(), order=25)
        navigation.add(
            _("Referral figures"), "referrals:figures", allowed=figures.may_see, order=60
        )
        navigation.add_section(selectors.tallies)
        timeline.register_add_links(selectors.add_links)
        timeline.register_person_section(selectors.person_referrals)
        timeline.register_person_section(selectors.person_consents)
        cases_demo.register(demo.seed)

        from . import indicators

        indicators.register()  # the figures registry (reports): REF_* indicators


def _content_holder() -> Callable[[Any], bool]:
    from accounts.capabilities import can
    from cases import capabilities as caps

    return lambda user: can(user, caps.CASE_VIEW)
