from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    """The public directory of treatment and support services (issue 32, D56).

    Pages without sign-in: the provinces with published facilities, a province's facilities
    (public fields only, through ``facilities.selectors.public_facilities``) and two pages of
    plain-language information. It reads no person and no case, and records no audit event.
    """

    name = "directory"
    verbose_name = _("Public directory")
