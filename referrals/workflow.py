"""The referral state machine: which action moves a referral from which state to which, and who.

The table ``TRANSITIONS`` is the single statement of the workflow. The actions
(``referrals.actions.referral_act``) refuse anything it does not allow, the pages offer
``allowed_actions(user, referral)``, and ``docs/referrals.md`` prints it (``referral_table``).

Who a user is for one referral (``parties``) is decided from the referral alone:

- the *sender*: a caseworker or commune officer of the sending organisation;
- a *supervisor* whose scope unit's subtree holds the sending organisation;
- the *receiver*: a caseworker or commune officer of the receiving organisation, once the
  referral has been sent (before that it is none of the receiver's business).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.capabilities import roles_of
from cases import access
from cases.capabilities import WRITE_ROLES
from cases.choices import Role

from .events import ReferralAction
from .models import Referral, State

SENDER = "sender"
SUPERVISOR = "supervisor"
RECEIVER = "receiver"

PARTY_LABELS: dict[str, Promise] = {
    SENDER: _("sending organisation's staff"),
    SUPERVISOR: _("supervisor over the sender"),
    RECEIVER: _("receiving organisation's staff"),
}


@dataclass(frozen=True)
class Transition:
    """One action of the workflow: from which states, to which, by whom, with what text."""

    action: str
    label: Promise
    sources: tuple[State, ...]
    target: State
    parties: tuple[str, ...]
    needs_comment: bool = False
    needs_outcome: bool = False
    event: str = ""
    # A condition beyond the state and the party, in English for the generated docs table.
    condition: str = ""


OPEN_STATES = (
    State.DRAFT, State.SUBMITTED, State.RETURNED, State.APPROVED, State.SENT, State.ACCEPTED,
)  # fmt: skip

TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "submit", _("Submit for review"), (State.DRAFT, State.RETURNED), State.SUBMITTED,
        (SENDER,), event=ReferralAction.REFERRAL_SUBMITTED,
    ),
    Transition(
        "approve", _("Approve"), (State.SUBMITTED,), State.APPROVED, (SUPERVISOR,),
        event=ReferralAction.REFERRAL_APPROVED,
    ),
    Transition(
        "return", _("Return for changes"), (State.SUBMITTED,), State.RETURNED, (SUPERVISOR,),
        needs_comment=True, event=ReferralAction.REFERRAL_RETURNED,
    ),
    Transition(
        "send", _("Send"), (State.APPROVED,), State.SENT, (SENDER,),
        event=ReferralAction.REFERRAL_SENT,
        condition="a consent in force, or urgent with a written reason (flagged)",
    ),
    Transition(
        "accept", _("Accept"), (State.SENT,), State.ACCEPTED, (RECEIVER,),
        event=ReferralAction.REFERRAL_ACCEPTED,
    ),
    Transition(
        "decline", _("Decline"), (State.SENT,), State.DECLINED, (RECEIVER,),
        needs_comment=True, event=ReferralAction.REFERRAL_DECLINED,
    ),
    Transition(
        "complete", _("Complete with an outcome"), (State.ACCEPTED,), State.COMPLETED,
        (RECEIVER,), needs_outcome=True, event=ReferralAction.REFERRAL_COMPLETED,
    ),
    Transition(
        "revoke", _("Revoke"), OPEN_STATES, State.REVOKED, (SENDER, SUPERVISOR),
        needs_comment=True, event=ReferralAction.REFERRAL_REVOKED,
        condition="never an accepted transfer",
    ),
)  # fmt: skip

_BY_ACTION = {t.action: t for t in TRANSITIONS}

# States in which the receiver takes part: the referral has reached it.
RECEIVED_STATES = (State.SENT, State.ACCEPTED, State.DECLINED, State.COMPLETED)


def transition(action: str) -> Transition | None:
    """Return the transition named ``action``, or None for an unknown name."""
    return _BY_ACTION.get(action)


def parties(user: Any, referral: Referral) -> frozenset[str]:
    """Return the parts the user plays in this referral (sender, supervisor, receiver)."""
    profile = access.profile_of(user)
    if profile is None:
        return frozenset()
    roles = roles_of(user)
    found: set[str] = set()
    writes = bool(roles & set(WRITE_ROLES))
    if writes and profile.organisation_id == referral.from_organisation_id:
        found.add(SENDER)
    received = referral.state in RECEIVED_STATES or referral.sent_on is not None
    if writes and received and profile.organisation_id == referral.to_organisation_id:
        found.add(RECEIVER)
    area = supervisor_area(user)
    if area is not None and referral.from_organisation.unit.path.startswith(area):
        found.add(SUPERVISOR)
    return frozenset(found)


def supervisor_area(user: Any) -> str | None:
    """Return the unit path under which the user supervises sending organisations, or None.

    The one rule of the supervisor's part: ``parties`` tests a referral against it, and
    ``supervised`` (the review queue, who may open a referral) filters by it.
    """
    profile = access.profile_of(user)
    if profile is None or Role.SUPERVISOR not in roles_of(user):
        return None
    return profile.scope_unit.path


def supervised(user: Any) -> Q:
    """Return the filter of the referrals in which the user plays the supervisor."""
    area = supervisor_area(user)
    if area is None:
        return Q(pk__in=[])
    return Q(from_organisation__unit__path__startswith=area)


def may(user: Any, referral: Referral, step: Transition) -> bool:
    """Return whether the user may take this step on the referral in its current state."""
    if referral.state not in step.sources:
        return False
    # A transfer already moved the case on acceptance: revoking would not move it back.
    accepted = referral.state == State.ACCEPTED
    if step.action == "revoke" and accepted and referral.service_type.transfers_case:
        return False
    return bool(parties(user, referral) & set(step.parties))


def allowed_actions(user: Any, referral: Referral) -> list[Transition]:
    """Return the steps the user may take on the referral now, in the table's order."""
    return [step for step in TRANSITIONS if may(user, referral, step)]


def table_markdown() -> str:
    """Return the state machine as a Markdown table (state × action × party → next state)."""
    lines = [
        "| from state | action | who | to state | must write | only if |",
        "|---|---|---|---|---|---|",
    ]
    for step in TRANSITIONS:
        who = ", ".join(step.parties)
        text = "a comment" if step.needs_comment else "an outcome" if step.needs_outcome else ""
        for source in step.sources:
            lines.append(
                f"| `{source.value}` | `{step.action}` | {who} | `{step.target.value}` | "
                f"{text or '—'} | {step.condition or '—'} |"
            )
    return "\n".join(lines) + "\n"
