"""Register the kinds of notification (verbs): each app declares its own, like audit actions.

    class ReferralVerb:
        RECEIVED = verbs.register("referral_received", _("A referral arrived"))

``notify()`` refuses a verb nobody registered, so a typo fails loudly.
"""

from __future__ import annotations

from django.utils.functional import Promise

_verbs: dict[str, str | Promise] = {}


class UnknownVerb(ValueError):
    """A notification was sent with a verb no app registered."""


def register(code: str, label: str | Promise) -> str:
    """Declare a verb with its translated label; return the code."""
    if len(code) > 40:
        raise ValueError(f"notification verb {code!r} is longer than 40 characters")
    known = _verbs.get(code)
    if known is not None and known != label:
        raise ValueError(f"notification verb {code!r} is registered twice, differently")
    _verbs[code] = label
    return code


def require(code: str) -> None:
    if code not in _verbs:
        raise UnknownVerb(f"no app registered the notification verb {code!r}")


def label(code: str) -> str:
    """Return the translated label of a verb (the code itself if unknown)."""
    return str(_verbs.get(code, code))
