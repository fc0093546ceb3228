from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and sign-in")

    def ready(self) -> None:
        from core import navigation

        from . import capabilities, events  # noqa: F401  (registers)

        # After every migrate, so the permissions of all apps exist first.
        post_migrate.connect(
            capabilities.sync_role_groups, dispatch_uid="accounts.sync_role_groups"
        )
        navigation.add(
            _("Administration"),
            "admin:index",
            order=90,
            start_page=True,
            allowed=lambda user: capabilities.can(user, capabilities.USERS_MANAGE),
        )
