"""Write referrals and consents: each change is one action, with its step, history and event.

A transition (``referral_act``) locks the referral row, checks the state and the user's part
in the referral against ``workflow.TRANSITIONS``, writes a ``ReferralStep``, updates the
referral (its dates, the receiver's access, a transfer's new holder) and records its event,
all in one transaction. Two answers at the same moment therefore leave exactly one: the
second waits for the row, then finds the referral no longer waiting for an answer.
"""

from __future__ import annotations

import datetime
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.capabilities import roles_of
from accounts.models import User, account_of
from audit import actions as audit
from audit.editing import save_edit
from calendar_days.workdays import add_working_days
from cases import access, roles
from cases import actions as case_actions
from cases.capabilities import WRITE_ROLES
from cases.models import Case, Organisation
from core.editing import OVERRIDE
from services.models import ServiceType

from . import notify, providers, workflow
from .events import ReferralAction
from .models import (
    AccessKind,
    Consent,
    ConsentMethod,
    Part,
    Referral,
    ReferralAccess,
    ReferralStep,
    State,
)

Transition = workflow.Transition

MIN_URGENT_REASON = 20
EDITABLE_FIELDS = frozenset(
    {"to_organisation", "service_type", "parts", "reason", "consent", "urgent", "urgent_reason"}
)


def access_days() -> int:
    """Return how many days a receiver's access lasts at most (it ends with the referral)."""
    return max(1, int(getattr(settings, "REFERRAL_ACCESS_DAYS", 180)))


def transfer_read_days() -> int:
    """Return how many days the former holder's staff keep reading a transferred case."""
    return max(1, int(getattr(settings, "TRANSFER_READ_DAYS", 90)))


# --- consent -------------------------------------------------------------------------------


def consent_record(
    *,
    actor: access.AnyUser,
    case_id: UUID,
    method: str,
    given_on: datetime.date,
    given_by: str = "",
) -> Consent:
    """Record the person's consent to share their case with another organisation."""
    case = access.get_for_user(actor, Case, case_id, "change", record_read=False)
    given_by = given_by.strip()
    if method == ConsentMethod.GUARDIAN and not given_by:
        raise ValidationError({"given_by": _("Give the name of the parent or guardian.")})
    if given_on and given_on > timezone.localdate():
        raise ValidationError({"given_on": _("Consent cannot be given in the future.")})
    consent = Consent(case=case, recorded_by=account_of(actor), method=method, given_on=given_on)
    consent.given_by = given_by
    return save_edit(
        actor=actor,
        instance=consent,
        action=ReferralAction.CONSENT_RECORDED,
        if_version=OVERRIDE,
        detail={"method": method},
    )


def consent_withdraw(*, actor: access.AnyUser, consent_id: UUID, on: datetime.date) -> Consent:
    """Record that the person withdrew a consent; referrals resting on it that reached the
    receiver are revoked, which ends the receiver's access."""
    found = access.get_for_user(actor, Consent, consent_id, "change", record_read=False)
    with transaction.atomic():
        consent = Consent.objects.select_for_update().get(pk=found.pk)
        if consent.withdrawn_on is not None:
            raise ValidationError(_("This consent has already been withdrawn."))
        if on < consent.given_on or on > timezone.localdate():
            raise ValidationError({"withdrawn_on": _("Give a date between the consent and today.")})
        consent.withdrawn_on = on
        consent.withdrawn_by = account_of(actor)
        save_edit(
            actor=actor,
            instance=consent,
            action=ReferralAction.CONSENT_WITHDRAWN,
            if_version=OVERRIDE,
        )
        revoke = workflow.transition("revoke")
        assert revoke is not None  # noqa: S101  (the table names it)
        live = Referral.objects.filter(consent=consent, state__in=(State.SENT, State.ACCEPTED))
        for referral in live.select_for_update().order_by("pk"):
            _move(actor, referral, revoke, comment=_("The person withdrew their consent."))
    return consent


# --- drafting ------------------------------------------------------------------------------


def _sender_organisation(actor: access.AnyUser) -> Organisation:
    profile = access.profile_of(actor)
    if profile is None or not roles_of(actor) & set(WRITE_ROLES):
        raise ValidationError(_("Only caseworkers and commune officers can refer a person."))
    return profile.organisation


def _check(referral: Referral) -> None:
    """Refuse a referral whose choices do not hold together (run before every save)."""
    errors: dict[str, str] = {}
    if referral.to_organisation_id == referral.from_organisation_id:
        errors["to_organisation"] = _("Refer to another organisation than your own.")
    elif not referral.to_organisation.is_active:
        errors["to_organisation"] = _("This organisation no longer takes referrals.")
    if not referral.service_type.is_active:
        errors["service_type"] = _("This service is no longer offered.")
    elif "to_organisation" not in errors and not providers.may_provide(
        service_code=referral.service_type.code,
        service_category=referral.service_type.category,
        organisation_type=referral.to_organisation.type.code,
    ):
        errors["to_organisation"] = _(
            "%(org)s does not provide %(service)s: choose an organisation that does."
        ) % {"org": referral.to_organisation.name, "service": referral.service_type.name}
    elif (
        referral.service_type.transfers_case
        and referral.case.organisation_id != referral.from_organisation_id
    ):
        errors["service_type"] = _("Only the organisation that holds the case can hand it over.")
    parts = referral.parts
    if not isinstance(parts, list) or not set(parts) <= set(Part.values):
        errors["parts"] = _("Choose what to share from the list.")
    else:
        referral.parts = sorted(set(parts))
    consent = referral.consent
    if consent is not None and (consent.case_id != referral.case_id or not consent.in_force):
        errors["consent"] = _("Choose a consent of this case that is still in force.")
    if referral.urgent and len(referral.urgent_reason.strip()) < MIN_URGENT_REASON:
        errors["urgent_reason"] = _(
            "Explain why it cannot wait for consent (at least %(n)d characters)."
        ) % {"n": MIN_URGENT_REASON}
    if errors:
        raise ValidationError(errors)


def referral_create(
    *,
    actor: access.AnyUser,
    case_id: UUID,
    to_organisation: Organisation,
    service_type: ServiceType,
    parts: list[str],
    reason: str,
    consent: Consent | None = None,
    new_consent: dict[str, Any] | None = None,
    urgent: bool = False,
    urgent_reason: str = "",
) -> Referral:
    """Draft a referral of a case the actor may change, from the actor's organisation.

    ``new_consent`` (the arguments of ``consent_record``) records the consent the referral
    rests on in the same transaction: both are saved, or neither.
    """
    case = access.get_for_user(actor, Case, case_id, "change", record_read=False)
    with transaction.atomic():
        if new_consent is not None:
            consent = consent_record(actor=actor, case_id=case.pk, **new_consent)
        referral = Referral(
            case=case,
            recorded_by=account_of(actor),
            from_organisation=_sender_organisation(actor),
            to_organisation=to_organisation,
            service_type=service_type,
            parts=list(parts),
            consent=consent,
            urgent=urgent,
        )
        referral.reason = reason.strip()
        referral.urgent_reason = urgent_reason.strip() if urgent else ""
        return save_edit(
            actor=actor,
            instance=referral,
            action=ReferralAction.REFERRAL_CREATED,
            if_version=OVERRIDE,
            checks=[_check],
            detail={"to": str(to_organisation.pk), "service": service_type.code, "parts": parts},
        )


def referral_update(
    *,
    actor: access.AnyUser,
    referral_id: UUID,
    version: int,
    new_consent: dict[str, Any] | None = None,
    **fields: Any,
) -> Referral:
    """Change a draft or returned referral (the sender only); refuse a stale version.

    ``new_consent`` records a consent for the referral to rest on in the same transaction:
    the consent and the change are saved together, or neither.
    """
    referral = _fetch(actor, referral_id, "change")
    if workflow.SENDER not in workflow.parties(actor, referral):
        _deny(actor, referral_id, "change")
        raise ValidationError(_("Only the sending organisation can change this referral."))
    if referral.state not in workflow.EDITABLE_STATES:
        raise ValidationError(_("Only a draft or a returned referral can be changed."))
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    for name, value in fields.items():
        setattr(referral, name, value.strip() if isinstance(value, str) else value)
    if not referral.urgent:
        referral.urgent_reason = ""
    with transaction.atomic():
        if new_consent is not None:
            referral.consent = consent_record(actor=actor, case_id=referral.case_id, **new_consent)
        return save_edit(
            actor=actor,
            instance=referral,
            action=ReferralAction.REFERRAL_CHANGED,
            if_version=version,
            checks=[_check],
            detail={"fields": sorted(fields)},
        )


# --- transitions ---------------------------------------------------------------------------


def _deny(actor: access.AnyUser, referral_id: Any, perm: str, **detail: Any) -> None:
    access.deny(actor, perm, object_type="referral", object_id=referral_id, **detail)


LOADED = ("from_organisation__unit", "to_organisation__unit", "service_type", "case")


def _fetch(actor: access.AnyUser, referral_id: Any, perm: str) -> Referral:
    """Return the referral if the user plays a part in it, else record a denial and 404."""
    try:
        referral = Referral.objects.select_related(*LOADED).filter(pk=referral_id).first()
    except (ValueError, TypeError, ValidationError):
        referral = None
    if referral is None or not workflow.parties(actor, referral):
        _deny(actor, referral_id, perm)
        raise Http404
    return referral


def referral_act(
    *, actor: access.AnyUser, referral_id: UUID, action: str, comment: str = "", outcome: str = ""
) -> Referral:
    """Take one step of the workflow on a referral, or refuse it with a clear message."""
    step = workflow.transition(action)
    if step is None:
        raise ValidationError(_("This is not a step a referral can take."))
    _fetch(actor, referral_id, action)
    comment, outcome = comment.strip(), outcome.strip()
    if step.needs_comment and not comment:
        raise ValidationError({"comment": _("Write why: the other side will read it.")})
    if step.needs_outcome and not outcome:
        raise ValidationError({"outcome": _("Write the outcome for the sender.")})
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update(of=("self",))
            .select_related(*LOADED)
            .get(pk=referral_id)
        )
        if workflow.may(actor, referral, step):
            if step.action == "approve" and not _holder_rule_met(referral, comment):
                raise ValidationError({"comment": _(
                    "Another organisation holds this case and has not agreed to the referral: "
                    "write why it is referred without its agreement."
                )})  # fmt: skip
            return _move(actor, referral, step, comment=comment, outcome=outcome)
        refusal = _refusal(actor, referral, step)
    # Outside the refused transaction, so that the denial stays (ASVS 8.2.2, 16.3.2).
    if workflow.refused_for_who(actor, referral, step):
        rule = "own_referral" if step.action == "approve" else "party"
        _deny(actor, referral_id, action, rule=rule)
    raise ValidationError(refusal)


def _holder_rule_met(referral: Referral, note: str) -> bool:
    return workflow.holder_rule_met(
        held_elsewhere=workflow.held_elsewhere(referral),
        holder_agreed=workflow.holder_agreed(referral),
        note=note,
    )


def _refusal(actor: access.AnyUser, referral: Referral, step: Transition) -> str:
    if referral.state not in step.sources:
        return _("A referral that is “%(state)s” cannot take the step “%(step)s”.") % {
            "state": referral.get_state_display(),
            "step": step.label,
        }
    if step.action == "revoke" and workflow.parties(actor, referral) & set(step.parties):
        return _("The case has already been handed over: this transfer cannot be revoked.")
    if step.action == "approve" and workflow.SUPERVISOR in workflow.parties(actor, referral):
        return _("You drafted or submitted this referral: another supervisor must approve it.")
    if step.action == "agree" and workflow.HOLDER in workflow.parties(actor, referral):
        return _("The holder's agreement to this submission is already recorded.")
    return _("The step “%(step)s” is for the %(who)s.") % {
        "step": step.label,
        "who": ", ".join(str(workflow.PARTY_LABELS[p]) for p in step.parties),
    }


def _move(
    actor: access.AnyUser,
    referral: Referral,
    step: Transition,
    *,
    comment: str = "",
    outcome: str = "",
) -> Referral:
    """Apply a step to a locked referral: its dates, step row, side effects and event."""
    if step.action == "send":
        _check_consent(referral)
    today = timezone.localdate()
    from_state = referral.state
    referral.state = step.target
    detail: dict[str, Any] = {"from": from_state, "to": step.target.value}
    if step.action == "send":
        referral.sent_on = today
        days = referral.service_type.answer_within_days
        referral.answer_due_on = add_working_days(today, days)
        detail["answer_due_on"] = referral.answer_due_on.isoformat()
    if step.action in ("accept", "decline"):
        referral.answered_on = today
    without_holder = step.action == "approve" and workflow.needs_holder_note(referral)
    if step.action == "approve" and workflow.held_elsewhere(referral):
        detail["holder_agreed"] = not without_holder
    if step.target in (State.DECLINED, State.COMPLETED, State.REVOKED):
        referral.closed_on = today
    if step.needs_outcome:
        referral.outcome = outcome
    ReferralStep.objects.create(
        referral=referral,
        action=step.action,
        from_state=from_state,
        to_state=step.target,
        actor=account_of(actor),
        comment=comment or outcome,
    )
    workflow.forget_journey(referral)
    save_edit(actor=actor, instance=referral, action=step.event, if_version=OVERRIDE, detail=detail)
    if without_holder:
        audit.record(
            actor=actor,
            action=ReferralAction.APPROVED_WITHOUT_HOLDER,
            obj=referral,
            reason=comment,
            detail={"holder": str(workflow.holder_of(referral))},
        )
    if step.action == "send" and (referral.consent is None or not referral.consent.in_force):
        audit.record(
            actor=actor,
            action=ReferralAction.SENT_WITHOUT_CONSENT,
            obj=referral,
            reason=referral.urgent_reason,
            detail={"urgent": True},
        )
    if step.action == "accept":
        _on_accept(account_of(actor), referral)
    if step.target in (State.DECLINED, State.COMPLETED, State.REVOKED):
        _end_accesses(account_of(actor), referral, AccessKind.RECEIVER)
    # In the step's transaction, whoever or whatever took it (a page, a withdrawn consent).
    notify.after_step(actor=actor, referral=referral)
    return referral


def _check_consent(referral: Referral) -> None:
    """Refuse to send without consent in force, unless urgent with a reviewed reason."""
    consent = referral.consent
    if consent is not None:
        consent.refresh_from_db(fields=["withdrawn_on"])
        if consent.in_force:
            return
    # Sending is only possible from "approved": a supervisor has read the urgent reason.
    if referral.urgent and len(referral.urgent_reason.strip()) >= MIN_URGENT_REASON:
        return
    raise ValidationError(
        _(
            "The person has not given consent to share (or withdrew it): record their consent "
            "before sending, or mark the referral urgent with a reason for a supervisor."
        )
    )


def _on_accept(actor: User, referral: Referral) -> None:
    """Open the case to the accepting user, or hand it over if the service is a transfer."""
    if not referral.service_type.transfers_case:
        _give_access(actor, referral, actor, AccessKind.RECEIVER, access_days())
        return
    former = Organisation.objects.filter(pk=referral.from_organisation_id)
    case_actions.case_transfer(
        actor=actor,
        case_id=referral.case_id,
        to_organisation=referral.to_organisation,
        referral_id=referral.pk,
    )
    for user in access.assignable_staff(former):
        _give_access(actor, referral, user, AccessKind.FORMER_HOLDER, transfer_read_days())


def _give_access(actor: User, referral: Referral, user: User, kind: str, days: int) -> None:
    """Give one user view access to the referral's case until ``days`` from now."""
    expires_at = timezone.now() + timedelta(days=days)
    ReferralAccess.objects.update_or_create(
        referral=referral,
        user=user,
        kind=kind,
        defaults={"expires_at": expires_at, "ended_at": None, "given_by": actor},
    )
    live = _held_until(user, referral.case_id)
    case = Case.objects.get(pk=referral.case_id)
    roles.grant_give(actor=actor, user=user, obj=case, scope="view", expires_at=live)


def _held_until(user: User, case_id: UUID) -> datetime.datetime | None:
    """Return the end of the user's longest live referral access to the case, or None."""
    live = ReferralAccess.objects.filter(
        user=user, referral__case_id=case_id, ended_at__isnull=True, expires_at__gt=timezone.now()
    )
    until: datetime.datetime | None = live.aggregate(until=Max("expires_at"))["until"]
    return until


def _end_accesses(actor: User, referral: Referral, kind: str) -> None:
    """End the accesses of one kind that the referral gave, and the grants they held up."""
    now = timezone.now()
    rows = list(referral.accesses.filter(kind=kind, ended_at__isnull=True).select_related("user"))
    for row in rows:
        row.ended_at = now
        row._history_user = actor  # type: ignore[attr-defined]
        row.save(update_fields=["ended_at"])
        # Only the referrals' hold ends: an emergency access or an administrator's grant
        # on the same case keeps the grant (cases.roles.grant_end).
        roles.grant_end(
            actor=actor,
            user=row.user,
            obj=Case.objects.get(pk=referral.case_id),
            until=row.expires_at,
            held_until=_held_until(row.user, referral.case_id),
        )


def referral_staff_add(*, actor: access.AnyUser, referral_id: UUID, user: User) -> Referral:
    """Let a colleague of the receiving organisation see an accepted referral's shared parts."""
    referral = _fetch(actor, referral_id, "share")
    if not workflow.may_add_staff(actor, referral):
        _deny(actor, referral_id, "share", rule="party")
        raise ValidationError(
            _(
                "Only the receiving staff in charge of this referral, or their supervisor, can "
                "add a colleague."
            )
        )
    receivers = access.assignable_staff(Organisation.objects.filter(pk=referral.to_organisation_id))
    if not receivers.filter(pk=user.pk).exists():
        raise ValidationError({"user": _("Choose a colleague of the receiving organisation.")})
    with transaction.atomic():
        locked = Referral.objects.select_for_update(of=("self",)).get(pk=referral.pk)
        if locked.state != State.ACCEPTED or locked.service_type.transfers_case:
            raise ValidationError(_("Only an accepted referral can be shared with a colleague."))
        _give_access(account_of(actor), locked, user, AccessKind.RECEIVER, access_days())
        audit.record(
            actor=actor, action=ReferralAction.STAFF_ADDED, obj=locked, detail={"user": user.pk}
        )
    return locked
