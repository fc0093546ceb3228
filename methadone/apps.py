from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MethadoneConfig(AppConfig):
    name = "methadone"
    verbose_name = _("Methadone")
