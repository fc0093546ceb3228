"""The referral state machine: which action moves a referral from which state to which, and who.

The table ``TRANSITIONS`` is the single statement of the workflow. The actions
(``referrals.actions.referral_act``) refuse anything it does not allow, the pages offer
``allowed_actions(user, referral)``, and ``docs/referrals.md`` prints it (``referral_table``).

Who a user is for one referral (``parties``) is decided from the referral alone:

- the *sender*: a caseworker or commune officer of the sending organisation;
- a *supervisor* whose scope unit's subtree holds the sending organisation;
- the *receiver*: a caseworker or commune officer of the receiving organisation, once the
  referral has been sent (before that it is none of the receiver's business);
- the *handler*: of the receiver's staff, the one who accepted the referral and the
  colleagues added to it (a live access); only they act on it once accepted;
- a *receiver supervisor* whose scope unit's subtree holds the receiving organisation (it
  completes a referral whose handler is gone, or adds a colleague to it);
- the *holder*: a caseworker or commune officer of the organisation holding the case, when
  another organisation refers it (its agreement, or the supervisor's note, comes first).

Beyond the party, two rules are pure functions over plain values (``independent_approver``,
``holder_rule_met``); ``may`` feeds them the referral's journey (``journey``, one query).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
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
from .journey import receivers_with_access, step_actors
from .models import Referral, State

SENDER = "sender"
SUPERVISOR = "supervisor"
RECEIVER = "receiver"
HANDLER = "handler"
RECEIVER_SUPERVISOR = "receiver_supervisor"
HOLDER = "holder"
# Who acts for the receiver once it accepted: the handlers, or a supervisor over them.
FOR_THE_RECEIVER = (HANDLER, RECEIVER_SUPERVISOR)

PARTY_LABELS: dict[str, Promise] = {
    SENDER: _("sending organisation's staff"),
    SUPERVISOR: _("supervisor over the sender"),
    RECEIVER: _("receiving organisation's staff"),
    HANDLER: _("receiving staff in charge (who accepted it, or a colleague added to it)"),
    RECEIVER_SUPERVISOR: _("supervisor over the receiver"),
    HOLDER: _("staff of the organisation that holds the case"),
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


# The states in which the sender may still change the referral (referral_update).
EDITABLE_STATES = (State.DRAFT, State.RETURNED)
OPEN_STATES = (
    State.DRAFT,
    State.SUBMITTED,
    State.RETURNED,
    State.APPROVED,
    State.SENT,
    State.ACCEPTED,
)

TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "submit", _("Submit for review"), (State.DRAFT, State.RETURNED), State.SUBMITTED,
        (SENDER,), event=ReferralAction.REFERRAL_SUBMITTED,
    ),
    Transition(
        "agree", _("Agree as the holder of the case"), (State.SUBMITTED,), State.SUBMITTED,
        (HOLDER,), event=ReferralAction.REFERRAL_HOLDER_AGREED,
        condition="another organisation holds the case; once per submission",
    ),
    Transition(
        "approve", _("Approve"), (State.SUBMITTED,), State.APPROVED, (SUPERVISOR,),
        event=ReferralAction.REFERRAL_APPROVED,
        condition=(
            "never by whoever drafted or submitted it; a case another organisation holds "
            "needs the holder's agreement or the supervisor's note"
        ),
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
        FOR_THE_RECEIVER, needs_outcome=True, event=ReferralAction.REFERRAL_COMPLETED,
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


def parties(user: access.AnyUser, referral: Referral) -> frozenset[str]:
    """Return the parts the user plays in this referral (see the module's docstring)."""
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
        if referral.state == State.ACCEPTED and user.pk in handlers(referral):
            found.add(HANDLER)
    if writes and held_elsewhere(referral) and profile.organisation_id == holder_of(referral):
        found.add(HOLDER)
    area = supervisor_area(user)
    if area is not None and referral.from_organisation.unit.path.startswith(area):
        found.add(SUPERVISOR)
    if area is not None and received and referral.to_organisation.unit.path.startswith(area):
        found.add(RECEIVER_SUPERVISOR)
    return frozenset(found)


# --- the referral's journey: the facts the rules below need, read once per instance -------


def journey(referral: Referral) -> list[tuple[str, int]]:
    """Return the referral's steps as (action, actor id), in order (cached on the instance)."""
    cached: list[tuple[str, int]] | None = referral.__dict__.get("_journey")
    if cached is None:
        cached = step_actors(referral)
        referral.__dict__["_journey"] = cached
    return cached


def forget_journey(referral: Referral) -> None:
    """Drop the cached journey after a step was added."""
    referral.__dict__.pop("_journey", None)
    referral.__dict__.pop("_handlers", None)


def authors(referral: Referral) -> set[int]:
    """Return who drafted the referral and who submitted it (any time)."""
    found = {actor for action, actor in journey(referral) if action == "submit"}
    return found | {referral.recorded_by_id}


def handlers(referral: Referral) -> set[int]:
    """Return the receiver's staff in charge: who accepted it and the colleagues added to it
    (a receiver's access the referral still holds open)."""
    cached: set[int] | None = referral.__dict__.get("_handlers")
    if cached is None:
        accepted = {actor for action, actor in journey(referral) if action == "accept"}
        cached = accepted | receivers_with_access(referral)
        referral.__dict__["_handlers"] = cached
    return cached


def holder_of(referral: Referral) -> Any:
    """Return the id of the organisation that holds the referral's case."""
    return referral.case.organisation_id


def held_elsewhere(referral: Referral) -> bool:
    """Return whether another organisation than the sender holds the referral's case."""
    return bool(holder_of(referral) != referral.from_organisation_id)


def agreed_since_submission(actions: Sequence[str]) -> bool:
    """Return whether the holder agreed after the latest submission (an edit and a new
    submission need a new agreement)."""
    last_submit = max((i for i, a in enumerate(actions) if a == "submit"), default=-1)
    return any(a == "agree" for a in actions[last_submit + 1 :])


def holder_agreed(referral: Referral) -> bool:
    """Return whether the case's holder agreed to the referral as it was last submitted."""
    return agreed_since_submission([action for action, _actor in journey(referral)])


def independent_approver(approver: int | None, *, authors: Collection[int]) -> bool:
    """Return whether the approver neither drafted nor submitted the referral (four eyes:
    one account holding a caseworker's and a supervisor's role never approves its own)."""
    return approver not in authors


def holder_rule_met(*, held_elsewhere: bool, holder_agreed: bool, note: str) -> bool:
    """Return whether a case may be referred by its sender: its own case, or the holding
    organisation agreed, or the approving supervisor wrote why it goes without agreement."""
    return not held_elsewhere or holder_agreed or bool(note.strip())


def needs_holder_note(referral: Referral) -> bool:
    """Return whether approving needs the supervisor's note (held elsewhere, no agreement)."""
    return not holder_rule_met(
        held_elsewhere=held_elsewhere(referral), holder_agreed=holder_agreed(referral), note=""
    )


def supervisor_area(user: access.AnyUser) -> str | None:
    """Return the unit path under which the user supervises sending organisations, or None.

    The one rule of the supervisor's part: ``parties`` tests a referral against it, and
    ``supervised`` (the review queue, who may open a referral) filters by it.
    """
    profile = access.profile_of(user)
    if profile is None or Role.SUPERVISOR not in roles_of(user):
        return None
    return profile.scope_unit.path


def supervised(user: access.AnyUser) -> Q:
    """Return the filter of the referrals in which the user plays the supervisor."""
    area = supervisor_area(user)
    if area is None:
        return Q(pk__in=[])
    return Q(from_organisation__unit__path__startswith=area)


def supervised_receiving(user: access.AnyUser) -> Q:
    """Return the filter of the sent referrals in which the user supervises the receiver."""
    area = supervisor_area(user)
    if area is None:
        return Q(pk__in=[])
    return Q(to_organisation__unit__path__startswith=area, sent_on__isnull=False)


def may(user: access.AnyUser, referral: Referral, step: Transition) -> bool:
    """Return whether the user may take this step on the referral in its current state."""
    if referral.state not in step.sources:
        return False
    # A transfer already moved the case on acceptance: revoking would not move it back.
    accepted = referral.state == State.ACCEPTED
    if step.action == "revoke" and accepted and referral.service_type.transfers_case:
        return False
    if not parties(user, referral) & set(step.parties):
        return False
    if step.action == "approve":
        return independent_approver(user.pk, authors=authors(referral))
    if step.action == "agree":
        return held_elsewhere(referral) and not holder_agreed(referral)
    return True


def refused_for_who(user: access.AnyUser, referral: Referral, step: Transition) -> bool:
    """Return whether a refusal is about who the user is (not the state): a denial to log."""
    if referral.state not in step.sources:
        return False
    if step.action == "agree":
        return HOLDER not in parties(user, referral)
    if step.action == "revoke":
        return not parties(user, referral) & set(step.parties)
    return not may(user, referral, step)


def may_add_staff(user: access.AnyUser, referral: Referral) -> bool:
    """Return whether the user may add a colleague of the receiver to the referral: its
    handlers or a supervisor over the receiver, while it is accepted (never a transfer)."""
    if referral.state != State.ACCEPTED or referral.service_type.transfers_case:
        return False
    return bool(parties(user, referral) & set(FOR_THE_RECEIVER))


def allowed_actions(user: access.AnyUser, referral: Referral) -> list[Transition]:
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
