"""The API's audit actions."""

from django.utils.translation import gettext_lazy as _

from audit.registry import ACCESS_CHANGE, DENIAL, LIST, register


class ApiAction:
    CLIENT_CREATED = register(
        "api_client_created",
        _("Created an API client (its role needs a second person)"),
        kind=ACCESS_CHANGE,
    )
    TOKEN_ISSUED = register(
        "api_token_issued", _("Issued an API client's token"), kind=ACCESS_CHANGE
    )
    CLIENT_REVOKED = register("api_client_revoked", _("Revoked an API client"), kind=ACCESS_CHANGE)
    CALLED = register("api_called", _("An API client called the API"))
    TOKEN_REFUSED = register("api_token_refused", _("Refused an API token"), kind=DENIAL)
    RATE_LIMITED = register(
        "api_rate_limited", _("Refused API calls over the rate limit"), kind=DENIAL
    )
    CHANGES_LISTED = register("api_changes_listed", _("Listed changes for sync"), kind=LIST)
    FEED_PRUNED = register(
        "api_change_feed_pruned", _("Removed change feed rows every sync client has passed")
    )
