"""Write the directory: administrative units, organisation types and organisations.

These rows decide who sees what (a supervisor's scope is a unit's subtree; a caseworker's
reach follows their organisation), so every write is an action with its event and history,
whoever makes it: the admin site (``cases.admin`` calls these), the unit loader, the demo.
A move that widens someone's reach, a unit under another parent or an organisation to
another unit, takes effect only when a second administrator approves it
(``DirectoryChangeRequest``, decided by ``directory_request_decide``), like a role change
(``cases.roles``). ``actor=None`` is the system itself (a command run on the server, the
demo), which applies directly.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import capabilities
from accounts.models import AnyUser, account_of, is_account
from audit import actions as audit

from . import access
from . import capabilities as caps
from .events import CaseAction
from .models import AdministrativeUnit, DirectoryChangeRequest, Organisation, OrganisationType

Directory = AdministrativeUnit | Organisation | OrganisationType


def may_manage(user: AnyUser) -> bool:
    """Return whether the user may change the directory (an administrator, a superuser)."""
    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return True
    return capabilities.can(user, caps.DIRECTORY_MANAGE)


def _require(actor: AnyUser | None, what: str, obj: models.Model | None = None) -> None:
    if actor is None or may_manage(actor):
        return
    access.deny(actor, what, obj=obj, object_type="" if obj is not None else "directory")
    raise PermissionDenied


def _changed_fields(instance: models.Model, old: models.Model | None) -> list[str]:
    """Return the names of the editable fields that differ from the stored row."""
    if old is None:
        return []
    return sorted(
        f.name
        for f in instance._meta.concrete_fields
        if f.editable
        and not f.primary_key
        and getattr(instance, f.attname) != getattr(old, f.attname)
    )


def _saved(
    actor: AnyUser | None, instance: Directory, old: Directory | None, record: bool = True
) -> None:
    """Save a directory row with its history user and record which fields changed."""
    fields = _changed_fields(instance, old)
    if old is not None and not fields:
        return
    instance._history_user = actor  # type: ignore[union-attr]
    instance.save()
    if not record:
        return
    audit.record(
        actor=actor,
        action=CaseAction.DIRECTORY_CHANGED,
        obj=instance,
        detail={
            "model": instance._meta.model_name,
            "change": "changed" if old else "added",
            "fields": fields,
        },
    )


def _ask(
    actor: AnyUser, *, kind: str, to_unit: AdministrativeUnit, **subject: Any
) -> DirectoryChangeRequest:
    request = DirectoryChangeRequest.objects.create(
        kind=kind, to_unit=to_unit, requested_by=account_of(actor), **subject
    )
    audit.record(
        actor=actor,
        action=CaseAction.DIRECTORY_CHANGE_REQUESTED,
        obj=request,
        detail={
            "kind": kind,
            "subject": str(request.unit_id or request.organisation_id),
            "to_unit": to_unit.pk,
        },
    )
    return request


# ── Units ────────────────────────────────────────────────────────────────────────────────


def unit_write(
    *,
    actor: AnyUser | None,
    unit: AdministrativeUnit,
    detail: dict[str, Any] | None = None,
    record_change: bool = True,
) -> AdministrativeUnit:
    """Save a unit and, if it moved, the paths of every unit below it, recording the move.

    The one place a unit's path changes: its own row is saved (``save`` derives its path
    from the parent), the units below get the new prefix in one statement, and the move is
    a ``unit_moved`` event. Callers check permission and dual control first. A bulk load
    records one event for the whole load (``record_change=False``), moves one by one.
    """
    with transaction.atomic():
        old = (
            AdministrativeUnit.objects.select_for_update().filter(pk=unit.pk).first()
            if unit.pk
            else None
        )
        old_path = old.path if old else ""
        _saved(actor, unit, old, record=record_change)
        if old is not None and old_path != unit.path:
            AdministrativeUnit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk).update(
                path=Concat(Value(unit.path), Substr("path", len(old_path) + 1))
            )
            audit.record(
                actor=actor,
                action=CaseAction.UNIT_MOVED,
                obj=unit,
                detail={
                    "code": unit.code,
                    "old_parent": old.parent.code if old.parent else "",
                    "new_parent": unit.parent.code if unit.parent else "",
                    "old_path": old_path,
                    "new_path": unit.path,
                    **(detail or {}),
                },
            )
    return unit


def unit_save(
    *, actor: AnyUser | None, unit: AdministrativeUnit
) -> tuple[AdministrativeUnit, DirectoryChangeRequest | None]:
    """Add or change a unit; a move under another parent waits for a second person.

    Everything else in the change (name, code, in use) applies at once; the move is kept
    as a pending request and the unit stays where it was until another administrator
    approves it.
    """
    _require(actor, "change_unit", unit if unit.pk else None)
    unit.full_clean(exclude=["path"])
    old = AdministrativeUnit.objects.filter(pk=unit.pk).first() if unit.pk else None
    request = None
    with transaction.atomic():
        if actor is not None and old is not None and old.parent_id != unit.parent_id:
            assert unit.parent is not None  # noqa: S101  (full_clean: only provinces are roots)
            request = _ask(
                actor, kind=DirectoryChangeRequest.Kind.UNIT_MOVE, to_unit=unit.parent, unit=unit
            )
            unit.parent = old.parent
        unit_write(actor=actor, unit=unit)
    return unit, request


def unit_delete(*, actor: AnyUser, unit: AdministrativeUnit) -> None:
    """Remove a unit nothing refers to, and record it."""
    _directory_delete(actor, unit)


# ── Organisation types and organisations ─────────────────────────────────────────────────


def organisation_type_save(
    *, actor: AnyUser, organisation_type: OrganisationType
) -> OrganisationType:
    """Add or change an organisation type (data, not code), and record it."""
    _require(actor, "change_organisationtype", organisation_type if organisation_type.pk else None)
    organisation_type.full_clean()
    with transaction.atomic():
        old = (
            OrganisationType.objects.select_for_update().filter(pk=organisation_type.pk).first()
            if organisation_type.pk
            else None
        )
        _saved(actor, organisation_type, old)
    return organisation_type


def organisation_type_delete(*, actor: AnyUser, organisation_type: OrganisationType) -> None:
    """Remove an organisation type no organisation has, and record it."""
    _directory_delete(actor, organisation_type)


def organisation_save(
    *, actor: AnyUser | None, organisation: Organisation
) -> tuple[Organisation, DirectoryChangeRequest | None]:
    """Add or change an organisation; a move to another unit waits for a second person.

    ``actor=None`` is the system (``create_administrator`` on a new installation)."""
    _require(actor, "change_organisation", organisation)
    organisation.full_clean()
    old = Organisation.objects.filter(pk=organisation.pk).first()
    request = None
    with transaction.atomic():
        if actor is not None and old is not None and old.unit_id != organisation.unit_id:
            request = _ask(
                actor,
                kind=DirectoryChangeRequest.Kind.ORGANISATION_MOVE,
                to_unit=organisation.unit,
                organisation=organisation,
            )
            organisation.unit = old.unit
        _saved(actor, organisation, old)
        if old is not None and old.unit_id != organisation.unit_id:
            _organisation_moved(actor, organisation, old.unit_id, {})
    return organisation, request


def _organisation_moved(
    actor: AnyUser | None, organisation: Organisation, old_unit: Any, why: dict[str, Any]
) -> None:
    audit.record(
        actor=actor,
        action=CaseAction.ORGANISATION_MOVED,
        obj=organisation,
        detail={"old_unit": old_unit, "new_unit": organisation.unit_id, **why},
    )


def organisation_delete(*, actor: AnyUser, organisation: Organisation) -> None:
    """Remove an organisation nothing refers to, and record it."""
    _directory_delete(actor, organisation)


def _directory_delete(actor: AnyUser, instance: Directory) -> None:
    _require(actor, f"delete_{instance._meta.model_name}", instance)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=CaseAction.DIRECTORY_CHANGED,
            obj=instance,
            detail={"model": instance._meta.model_name, "change": "deleted", "fields": []},
        )
        instance._history_user = actor  # type: ignore[union-attr]
        instance.delete()


# ── Dual control ─────────────────────────────────────────────────────────────────────────


def directory_requests_for(user: AnyUser) -> models.QuerySet[DirectoryChangeRequest]:
    """Return the pending moves the user may decide: anyone's but their own."""
    if not may_manage(user) or not is_account(user):
        return DirectoryChangeRequest.objects.none()
    return DirectoryChangeRequest.objects.filter(
        status=DirectoryChangeRequest.Status.PENDING
    ).exclude(requested_by=user)


def directory_request_decide(
    *, actor: AnyUser, request: DirectoryChangeRequest, approve: bool
) -> DirectoryChangeRequest:
    """Approve (apply) or reject a pending move; never by the person who asked for it."""
    if not directory_requests_for(actor).filter(pk=request.pk).exists():
        access.deny(actor, "approve_directory_change", obj=request)
        raise PermissionDenied
    with transaction.atomic():
        locked = directory_requests_for(actor).select_for_update().get(pk=request.pk)
        if locked.status != DirectoryChangeRequest.Status.PENDING:
            raise ValidationError(_("This request has already been decided."))
        locked.status = (
            DirectoryChangeRequest.Status.APPROVED
            if approve
            else DirectoryChangeRequest.Status.REJECTED
        )
        locked.decided_by, locked.decided_at = account_of(actor), timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        audit.record(
            actor=actor,
            action=(
                CaseAction.DIRECTORY_CHANGE_APPROVED
                if approve
                else CaseAction.DIRECTORY_CHANGE_REJECTED
            ),
            obj=locked,
            detail={"kind": locked.kind, "requested_by": locked.requested_by_id},
        )
        if approve:
            _apply(actor, locked)
    return locked


def _apply(actor: AnyUser, request: DirectoryChangeRequest) -> None:
    why = {"request": str(request.pk), "requested_by": request.requested_by_id}
    if request.unit_id is not None:
        unit = AdministrativeUnit.objects.get(pk=request.unit_id)
        unit.parent = request.to_unit
        unit.full_clean(exclude=["path"])
        unit_write(actor=actor, unit=unit, detail=why)
        return
    assert request.organisation_id is not None  # noqa: S101  (the kinds' check constraint)
    organisation = Organisation.objects.select_for_update().get(pk=request.organisation_id)
    old = Organisation.objects.get(pk=organisation.pk)
    organisation.unit = request.to_unit
    organisation.full_clean()
    _saved(actor, organisation, old)
    _organisation_moved(actor, organisation, old.unit_id, why)
