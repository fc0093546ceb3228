from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from . import (
            events,  # noqa: F401  (registers the event codes)
            feed,
        )

        # The change feed's triggers on every synced table, recipe types included (D59).
        post_migrate.connect(feed.install, sender=self, dispatch_uid="api_feed_install")
