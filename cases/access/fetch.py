"""Fetch one scoped record for a user, recording the read, or refuse it: the denial event
and a 404."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.capabilities import Scope
from audit import actions as audit
from audit import context as audit_context

from ..events import CaseAction
from ..models import (
    Case,
    EmergencyAccess,
    Person,
)
from .parts import AllParts, person_parts_visible, record_shown
from .reach import AnyUser
from .records import person_id_of, visible
from .rules import visible_cases

logger = logging.getLogger("hoa_nhap.access")


def deny(
    actor: AnyUser | None,
    perm: str,
    *,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: Any = "",
    person_id: Any = None,
    **detail: Any,
) -> None:
    """Record that the actor was refused: one ``denied`` event and one warning in the log.

    The single way to record a refusal, for the access layer and every action that refuses
    (the caller then raises ``Http404`` or ``PermissionDenied``). ``perm`` names what was
    asked (a scope, a capability, a step); ``detail`` adds ids and coarse facts. Only ids
    go into the log and the event: never a name or identifier of the person.
    """
    kind = object_type or (obj._meta.model_name if obj is not None else "") or ""
    shown_id = object_id or (obj.pk if obj is not None else "")
    logger.warning(
        "access denied: user=%s perm=%s %s=%s", getattr(actor, "pk", None), perm, kind, shown_id
    )
    audit.record(
        actor=actor,
        action=CaseAction.DENIED,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        person_id=person_id,
        detail={"perm": perm, **detail},
    )


def _note_emergency(user: AnyUser, person_id: Any) -> EmergencyAccess | None:
    """Return the user's live emergency access to the person, and flag it for the banner."""
    if person_id is None:
        return None
    grant = (
        EmergencyAccess.objects.filter(user_id=getattr(user, "pk", None) or 0, person_id=person_id)
        .filter(expires_at__gt=timezone.now())
        .order_by("-expires_at")
        .first()
    )
    request = audit_context.current().request
    if grant is not None and request is not None:
        # The banner reads the request attribute (cases.context_processors).
        grants = getattr(request, "emergency_grants", None)
        if grants is None:
            grants = []
            request.emergency_grants = grants  # type: ignore[attr-defined]
        grants.append(grant)
    return grant


_READ_ACTION: dict[type[models.Model], str] = {
    Person: CaseAction.PERSON_READ,
    Case: CaseAction.CASE_READ,
}


def get_for_user[M: models.Model](
    user: AnyUser,
    model: type[M],
    object_id: Any,
    scope: Scope = "view",
    *,
    record_read: bool = True,
    queryset: QuerySet[M] | None = None,
    read_action: str | None = None,
    read_detail: dict[str, object] | None = None,
) -> M:
    """Return the row if the user holds ``scope`` on it (recording the read), else record the
    denial and answer 404.

    Actions pass ``record_read=False``: they record the write they make instead. Pass
    ``queryset`` (from ``visible``) to add ``select_related`` and the like, ``read_action``
    (a read kind) and ``read_detail`` to record a more precise read (a file downloaded).
    """
    allowed = queryset if queryset is not None else visible(user, model, scope)
    kind = model._meta.model_name or model.__name__.lower()
    try:
        found = allowed.filter(pk=object_id).first()
    except (ValueError, TypeError, ValidationError):  # a malformed id: as unknown as any
        found = None
    if found is None or not record_shown(user, found):
        deny(user, scope, object_type=kind, object_id=object_id)
        raise Http404
    if record_read:
        person_id = person_id_of(found)
        detail: dict[str, object] = {"perm": scope, **(read_detail or {})}
        grant = _note_emergency(user, person_id)
        if grant is not None:
            detail["emergency_access"] = str(grant.pk)
        audit.record(
            actor=user,
            action=read_action or _READ_ACTION.get(model, CaseAction.RECORD_READ),
            obj=found,
            person_id=person_id,
            detail=detail,
        )
    return found


def get_person_for_user(
    user: AnyUser, person_id: UUID, scope: Scope = "view", *, record_read: bool = True
) -> Person:
    """Return the person if the user holds ``scope`` on them (recording the read), else 404."""
    return get_for_user(user, Person, person_id, scope, record_read=record_read)


def get_case_for_user(
    user: AnyUser, case_id: UUID, scope: Scope = "view", *, record_read: bool = True
) -> Case:
    """Return the case if the user holds ``scope`` on it (recording the read), else 404."""
    allowed = visible_cases(user, scope).select_related("person", "organisation")
    return get_for_user(user, Case, case_id, scope, record_read=record_read, queryset=allowed)


def require_whole_person(user: AnyUser, person: Person) -> None:
    """Refuse (denial event, 404) a page that shows all of a person's record, such as its
    change history, to a user who sees only the parts a referral shared."""
    if not isinstance(person_parts_visible(user, person), AllParts):
        deny(user, "view_whole", obj=person)
        raise Http404
