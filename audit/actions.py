"""Record access events: the one write path into the audit log.

Called by the access helpers (reads, denials) and by actions (writes) inside the same
transaction as what they record, never by views. Only ids and coarse facts go in; a free-
text reason is encrypted.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.utils import timezone

from core import metrics
from core.users import AnyAbstractUser

from . import chain, context, registry
from .choices import AuditAction
from .models import Event, Seal


def _organisation_id(actor: AnyAbstractUser | None) -> Any:
    # The staff profile (owned by a domain app) names the organisation; audit only reads it.
    profile = getattr(actor, "staff", None) if actor is not None else None
    return getattr(profile, "organisation_id", None)


def record(
    *,
    actor: AnyAbstractUser | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: Any = "",
    person_id: Any = None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> Event:
    """Append one event, inside the caller's transaction if there is one.

    The event commits with the caller's work or not at all, and is chained right after the
    commit (``audit.chain``). It waits for no other writer and is never retried.

    ``actor`` is required: pass None only for the system itself (a command, a migration).
    The person the event concerns is taken from ``obj`` through the resolvers apps
    register, unless ``person_id`` names it.
    """
    registry.get(action)  # refuse an action no app declared
    request = context.current()
    user: Any = actor if isinstance(actor, AbstractBaseUser) and actor.pk is not None else None
    event = Event(
        id=uuid.uuid4(),
        action=action,
        actor=user,
        organisation_id=_organisation_id(user),
        object_type=object_type or (obj._meta.model_name if obj is not None else "") or "",
        object_id=str(object_id or (obj.pk if obj is not None else "")),
        person_id=person_id or (registry.person_id_of(obj) if obj is not None else None),
        # Stored as the database will hold it (IPv6 in canonical form), so it hashes the same.
        ip=Event._meta.get_field("ip").to_python(request.ip),
        user_agent=request.user_agent,
        request_id=request.request_id,
        detail=detail or {},
    )
    event.reason = reason
    with metrics.AUDIT_WRITE_LATENCY.time():
        chain.append(event)
    metrics.AUDIT_EVENTS.labels(action=action).inc()  # a declared action: a closed set
    return event


def seal_create(*, actor: AnyAbstractUser | None) -> Seal:
    """Chain every committed event (and the caller's own), then seal the chain head."""
    chain.sequence(wait=True, full=True)
    seq, head_hash = chain.head()
    seal = Seal(at=timezone.now(), seq=seq, head_hash=head_hash, sealed_by=cast(Any, actor))
    seal.save()
    return seal


def events_export(
    *, actor: AnyAbstractUser, events: Any, filters: dict[str, Any], fmt: str
) -> tuple[bytes, int]:
    """Render the filtered events as CSV or XLSX and record the export itself as an event."""
    from . import exports

    data = list(exports.rows(events))
    body = exports.to_csv(data) if fmt == "csv" else exports.to_xlsx(data)
    shown = {k: str(getattr(v, "pk", v)) for k, v in filters.items()}
    record(
        actor=actor,
        action=AuditAction.EXPORT,
        object_type="event",
        detail={
            "format": fmt,
            "rows": len(data),
            "filters": shown,
        },
    )
    return body, len(data)


def citizen_id_lookup(*, actor: AnyAbstractUser, citizen_id: str) -> list[Any]:
    """Return the record ids of the people holding a citizen ID, and record the lookup.

    The event holds how many were found, never the number looked up.
    """
    found = registry.people_with_citizen_id(citizen_id)
    record(
        actor=actor,
        action=AuditAction.PERSON_LOOKUP,
        object_type="person",
        detail={"kind": "citizen_id", "found": len(found), "people": sorted(map(str, found))},
    )
    return found
