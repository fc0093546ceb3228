"""Tell the next actor of a referral that it is their turn (in-app notifications).

The texts name the referral by its short id and the service only: never a person's name,
identifier, phone or address (they may go out by e-mail). They are written in the site's
language, whoever acted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import AnyUser, account_of
from notifications import verbs
from notifications.actions import notify

from .models import Referral, State
from .selectors import reviewers_of, staff_of

Recipients = Callable[[Referral], list[Any]]


def _sender(referral: Referral) -> list[Any]:
    return [referral.recorded_by] if referral.recorded_by.is_active else []


def _receivers(referral: Referral) -> list[Any]:
    return staff_of(referral.to_organisation_id)


def _both_sides(referral: Referral) -> list[Any]:
    """Return the sender, and the receiver's staff once the referral reached them."""
    return _sender(referral) + (_receivers(referral) if referral.sent_on else [])


# For each state reached: who acts next, the verb, what they are told.
NEXT: dict[str, tuple[Recipients, str, str | Promise]] = {
    State.SUBMITTED: (
        reviewers_of,
        verbs.register("referral_submitted", _("A referral waits for review")),
        _("Referral %(code)s (%(service)s) waits for your review."),
    ),
    State.APPROVED: (
        _sender,
        verbs.register("referral_approved", _("A referral was approved")),
        _("Referral %(code)s (%(service)s) was approved: you can send it."),
    ),
    State.RETURNED: (
        _sender,
        verbs.register("referral_returned", _("A referral was returned")),
        _("Referral %(code)s (%(service)s) was returned for changes."),
    ),
    State.SENT: (
        _receivers,
        verbs.register("referral_received", _("A referral arrived")),
        _("Referral %(code)s (%(service)s) waits for your answer."),
    ),
    State.ACCEPTED: (
        _sender,
        verbs.register("referral_accepted", _("A referral was accepted")),
        _("Referral %(code)s (%(service)s) was accepted."),
    ),
    State.DECLINED: (
        _sender,
        verbs.register("referral_declined", _("A referral was declined")),
        _("Referral %(code)s (%(service)s) was declined."),
    ),
    State.COMPLETED: (
        _sender,
        verbs.register("referral_completed", _("A referral was completed")),
        _("Referral %(code)s (%(service)s) was completed: see the outcome."),
    ),
    State.REVOKED: (
        _both_sides,
        verbs.register("referral_revoked", _("A referral was revoked")),
        _("Referral %(code)s (%(service)s) was revoked."),
    ),
}


def message_for(referral: Referral) -> str | None:
    """Return the notification text for the referral's current state, or None."""
    if referral.state not in NEXT:
        return None
    text = NEXT[referral.state][2]
    with translation.override(settings.LANGUAGE_CODE):
        service = referral.service_type.name
        return str(text) % {"code": referral.short_id, "service": service}


def recipients_for(referral: Referral, *, actor: AnyUser) -> list[Any]:
    """Return who acts next on the referral (never the actor who just acted)."""
    if referral.state not in NEXT:
        return []
    return [u for u in NEXT[referral.state][0](referral) if u.pk != getattr(actor, "pk", None)]


def after_step(*, actor: AnyUser, referral: Referral) -> None:
    """Notify the next actor of the step the referral just took (if anyone acts next)."""
    recipients = recipients_for(referral, actor=actor)
    text = message_for(referral)
    if not recipients or text is None:
        return
    url = reverse("referrals:referral_detail", args=[referral.pk])
    notify(
        actor=account_of(actor),
        recipients=recipients,
        verb=NEXT[referral.state][1],
        text=text,
        url=url,
    )
