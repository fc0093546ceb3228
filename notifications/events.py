"""The notification events an access event can record."""

from django.utils.translation import gettext_lazy as _

from audit.registry import DENIAL, register


class NotificationAction:
    # The same code as every other refusal, so the auditor's filters and flags see it.
    DENIED = register("denied", _("Access denied"), kind=DENIAL)
    # A stored notification pointed off the site: the link was not followed.
    LINK_REFUSED = register(
        "notification_link_refused",
        _("Refused a notification link to another site"),
        kind=DENIAL,
    )
