from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("People and cases")

    def ready(self) -> None:
        from . import roles  # connects the role and grant receivers

        # After every migrate, so the permissions of all apps exist first.
        post_migrate.connect(roles.sync_role_groups, dispatch_uid="cases.sync_role_groups")
