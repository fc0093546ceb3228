"""Closing and re-opening a case (issue 28 item 2, D45).

Closing records a reason and a summary (``CaseClosure``). For the categories in
``settings.CASE_CLOSURE_APPROVAL_CATEGORIES`` it waits for a supervisor of the holder's area
(``access.closures_to_decide``); otherwise the case closes at once. A closed case is
re-opened with a reason; it keeps its one opening date (docs/indicators.md), the closed spell
stays in the case's history and in these rows. The case's status changes only here: the case
form refuses it (``cases.actions.case_update``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import account_of
from audit.editing import save_edit
from audit.registry import register as register_action
from core.editing import OVERRIDE
from notifications import verbs
from notifications.actions import notify

from . import access, records
from .choices import CaseStatus
from .models import Case, CaseClosure
from .plan_models import ClosureKind, ClosureStatus

CLOSURES = records.RecordType(
    model=CaseClosure,
    name="caseclosure",  # events caseclosure_added/_changed, verbs caseclosure.add/.change
    label=_("Closing or re-opening"),
    added=_("Asked to close or re-opened a case"),
    changed=_("Changed a case closing"),
    date_field="asked_on",
    title=lambda row: f"{ClosureKind(row.kind).label}: {ClosureStatus(row.status).label}",
    detail_url="cases:closure_detail",
    part="",  # whole-case viewers only
    # The API (D58): read; a closing is asked and decided on the case's pages.
    api=records.Api(
        path="case-closures",
        id_param="closure_id",
        fields=("kind", "reason", "summary", "closed_on", "status", "requested_by"),
    ),
)
APPROVED = register_action("caseclosure_approved", _("Approved the closing of a case"))
REFUSED = register_action("caseclosure_refused", _("Refused the closing of a case"))
CASE_CLOSED = register_action("case_closed", _("Closed a case"))
CASE_REOPENED = register_action("case_reopened", _("Re-opened a case"))
# Told to the supervisors who may decide, and to the asker once decided: the texts name no
# one and no record (they may go out by e-mail); the link opens the request, through access.
WAITING = verbs.register("caseclosure_waiting", _("A closing waits for your decision"))
DECIDED = verbs.register("caseclosure_decided", _("Your closing request was decided"))


def _tell(
    actor: access.AnyUser, closure: CaseClosure, recipients: list[Any], verb: str, text: Any
) -> None:
    """Notify the recipients of the closing request, in the site's language."""
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):  # the site's language, whoever acted
        message = str(text)
    notify(
        actor=account_of(actor),
        recipients=recipients,
        verb=verb,
        text=message,
        url=reverse("cases:closure_detail", args=[closure.pk]),
    )


_WAITING_TEXT = _("A request to close a case waits for your decision.")
_APPROVED_TEXT = _("Your request to close a case was approved: the case is closed.")
_REFUSED_TEXT = _("Your request to close a case was refused: see the reason.")


def needs_approval(case: Case) -> bool:
    """Whether closing this case waits for a supervisor (by its category, configured)."""
    return case.category in settings.CASE_CLOSURE_APPROVAL_CATEGORIES


def pending_of(case: Case) -> CaseClosure | None:
    """Return the case's closing request waiting for approval, if any."""
    return CaseClosure.objects.filter(case_id=case.pk, status=ClosureStatus.PENDING).first()


def history_of(*, viewer: access.AnyUser, case: Case) -> QuerySet[CaseClosure]:
    """Return the case's closings and re-openings the viewer may read, newest first."""
    rows = access.visible(viewer, CaseClosure).filter(case_id=case.pk)
    return rows.select_related("requested_by", "decided_by").order_by("-requested_at")


def _set_status(actor: access.AnyUser, case: Case, closure: CaseClosure) -> None:
    """Close or re-open the case as the closure says (one opening date, always)."""
    fresh = Case.objects.select_for_update().get(pk=case.pk)
    if closure.kind == ClosureKind.CLOSE:
        fresh.status, fresh.closed_on = CaseStatus.CLOSED, closure.closed_on
        action = CASE_CLOSED
    else:
        fresh.status, fresh.closed_on = CaseStatus.OPEN, None
        action = CASE_REOPENED
    save_edit(
        actor=actor,
        instance=fresh,
        action=action,
        if_version=OVERRIDE,
        detail={"closure": str(closure.pk)},
    )


def case_close(*, actor: access.AnyUser, case: Case, closure: CaseClosure) -> CaseClosure:
    """Ask to close an open case with a reason and a summary; close it at once when its
    category needs no approval. A refusal of scope is recorded and raises."""
    case = access.get_case_for_user(actor, case.pk, "change", record_read=False)
    if case.status != CaseStatus.OPEN:
        raise ValidationError(gettext("This case is already closed."))
    if pending_of(case) is not None:
        raise ValidationError(gettext("A request to close this case is already waiting."))
    if closure.closed_on and closure.closed_on < case.opened_on:
        raise ValidationError({"closed_on": gettext("A case cannot close before it opened.")})
    closure.case, closure.kind, closure.requested_by = case, ClosureKind.CLOSE, actor  # type: ignore[assignment]
    waits = needs_approval(case)
    closure.status = ClosureStatus.PENDING if waits else ClosureStatus.DONE
    with transaction.atomic():
        saved = CLOSURES.save(actor=actor, instance=closure)
        if not waits:
            _set_status(actor, case, saved)
        else:
            _tell(actor, saved, access.closure_deciders(saved), WAITING, _WAITING_TEXT)
    return saved


def case_reopen(*, actor: access.AnyUser, case: Case, closure: CaseClosure) -> CaseClosure:
    """Re-open a closed case for a written reason (``closure.summary``)."""
    case = access.get_case_for_user(actor, case.pk, "change", record_read=False)
    if case.status != CaseStatus.CLOSED:
        raise ValidationError(gettext("This case is open."))
    closure.case, closure.kind, closure.requested_by = case, ClosureKind.REOPEN, actor  # type: ignore[assignment]
    closure.status, closure.reason, closure.closed_on = ClosureStatus.DONE, "", None
    with transaction.atomic():
        saved = CLOSURES.save(actor=actor, instance=closure)
        _set_status(actor, case, saved)
    return saved


def _refuse_decider(actor: access.AnyUser, closure: CaseClosure) -> None:
    """Record and refuse a decision by someone who may not take it."""
    mine = closure.requested_by_id == getattr(actor, "pk", None)
    access.deny(
        actor, "caseclosure.decide", obj=closure, reason="own_request" if mine else "not_decider"
    )
    raise PermissionDenied


def closure_to_decide(user: access.AnyUser, closure_id: Any) -> CaseClosure:
    """Return the pending request if the user may decide it; else record the denial and
    refuse (404 when the user does not see it, 403 when they see it but may not decide)."""
    row = access.get_for_user(user, CaseClosure, closure_id, record_read=False)
    if not access.closures_to_decide(user).filter(pk=row.pk).exists():
        _refuse_decider(user, row)
    return row


def closure_decide(
    *, actor: access.AnyUser, closure: CaseClosure, approve: bool, reason: str = ""
) -> CaseClosure:
    """Approve (close the case) or refuse a pending closing request.

    Only a supervisor of the holder's area who did not ask (``access.closures_to_decide``);
    anyone else is refused, recorded (``access.deny``) and ``PermissionDenied`` is raised.
    A refusal needs a reason, stored encrypted.
    """
    reason = reason.strip()
    if not access.closures_to_decide(actor).filter(pk=closure.pk).exists():
        _refuse_decider(actor, closure)
    if not approve and not reason:
        raise ValidationError({"reason": gettext("Say why the closing is refused.")})
    with transaction.atomic():
        locked = access.closures_to_decide(actor).select_for_update().get(pk=closure.pk)
        locked.status = ClosureStatus.APPROVED if approve else ClosureStatus.REFUSED
        locked.decided_by = actor  # type: ignore[assignment]
        locked.decided_at = timezone.now()
        locked.refusal = reason if not approve else ""
        saved = save_edit(
            actor=actor,
            instance=locked,
            action=APPROVED if approve else REFUSED,
            if_version=OVERRIDE,
            detail={"has_reason": bool(reason)},
        )
        if approve:
            _set_status(actor, saved.case, saved)
        asker = saved.requested_by
        if asker.is_active and asker.pk != getattr(actor, "pk", None):
            text = _APPROVED_TEXT if approve else _REFUSED_TEXT
            _tell(actor, saved, [asker], DECIDED, text)
    return saved
