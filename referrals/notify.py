"""Tell the next actor of a referral that it is their turn (in-app notifications).

The texts name the referral by its short id and the service only: never a person's name,
identifier, phone or address (they may travel by e-mail).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.apps import apps
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import Referral, State
from .selectors import reviewers_of, staff_of

# For each state reached, who acts next and what they are told.
Recipients = Callable[[Referral], list[Any]]


def _sender(referral: Referral) -> list[Any]:
    return [referral.recorded_by] if referral.recorded_by.is_active else []


def _receivers(referral: Referral) -> list[Any]:
    return staff_of(referral.to_organisation_id)


NEXT: dict[str, tuple[Recipients, str | Promise]] = {
    State.SUBMITTED: (reviewers_of, _("Referral %(code)s (%(service)s) waits for your review.")),
    State.APPROVED: (_sender, _("Referral %(code)s (%(service)s) was approved: send it.")),
    State.RETURNED: (_sender, _("Referral %(code)s (%(service)s) was returned for changes.")),
    State.SENT: (_receivers, _("Referral %(code)s (%(service)s) waits for your answer.")),
    State.ACCEPTED: (_sender, _("Referral %(code)s (%(service)s) was accepted.")),
    State.DECLINED: (_sender, _("Referral %(code)s (%(service)s) was declined.")),
    State.COMPLETED: (_sender, _("Referral %(code)s (%(service)s) was completed.")),
}


def message_for(referral: Referral) -> str | None:
    """Return the notification text for the referral's current state, or None."""
    if referral.state not in NEXT:
        return None
    _who, text = NEXT[referral.state]
    return str(text) % {"code": referral.short_id, "service": referral.service_type.name}


def recipients_for(referral: Referral, *, actor: Any) -> list[Any]:
    """Return who acts next on the referral (never the actor who just acted)."""
    if referral.state not in NEXT:
        return []
    who, _text = NEXT[referral.state]
    return [user for user in who(referral) if user.pk != getattr(actor, "pk", None)]


def after_step(*, actor: Any, referral: Referral) -> None:
    """Notify the next actor of the step the referral just took (if anyone acts next)."""
    if not apps.is_installed("notifications"):
        return  # the in-app notifications are an optional app
    notify = import_module("notifications.actions").notify
    recipients = recipients_for(referral, actor=actor)
    text = message_for(referral)
    if not recipients or text is None:
        return
    url = reverse("referrals:referral_detail", args=[referral.pk])
    notify(
        actor=actor, recipients=recipients, verb=f"referral_{referral.state}", text=text, url=url
    )
