"""The staff roles. Which objects a role reaches is decided by cases.access; what a role may do
at all is the capability table (core.capabilities)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")
    COMMUNE_OFFICER = "commune_officer", _("Commune social officer")
    SUPERVISOR = "supervisor", _("Supervisor")
    AUDITOR = "auditor", _("Auditor")
    ADMINISTRATOR = "administrator", _("Administrator")
