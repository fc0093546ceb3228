from django.apps import AppConfig
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = _("Services")

    def ready(self) -> None:
        from cases import demo as cases_demo
        from cases import dues, timeline

        # Importing registers the audit actions and declares the capabilities.
        from . import capabilities, demo, events, selectors  # noqa: F401
        from .models import FollowUp, ServiceRecord, ServiceStatus

        selectors.register_timeline()
        cases_demo.register(demo.seed)
        timeline.register_add_links(selectors.add_links)
        dues.register(
            ServiceRecord,
            open=Q(status=ServiceStatus.PLANNED),
            label=selectors.summary,
            url=selectors.record_url,
            related=("service_type",),
        )
        from cases import moves

        from .models import PostRehabPeriod

        # A person who moves: the post-rehab period's officer passes to the new commune (D50).
        moves.register_handed_over(PostRehabPeriod, field="officer", open=Q(ended_on__isnull=True))
        dues.register(
            FollowUp,
            open=Q(done_on__isnull=True, cancelled_on__isnull=True),
            label=selectors.summary,
            url=selectors.record_url,
        )
