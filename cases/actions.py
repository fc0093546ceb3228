"""Write people and cases: check permission, validate, save with history in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit import actions as audit
from cases.events import CaseAction

from . import access, roles, selectors
from . import capabilities as caps
from .models import (
    Case,
    EmergencyAccess,
    Person,
)

PERSON_FIELDS = (
    "full_name", "aliases", "citizen_id", "phone", "address", "family_contact", "birth_date",
    "residence_commune", "sex", "birth_year", "ethnicity", "old_id_number", "birth_year_estimated",
)  # fmt: skip
CASE_FIELDS = (
    "category", "managed_record", "status", "opened_on", "closed_on", "organisation",
    "assigned_to", "notes",
)  # fmt: skip


def _assign(instance: Person | Case, names: tuple[str, ...], data: dict[str, Any]) -> None:
    for name in names:
        if name in data:
            setattr(instance, name, data[name])


def _validate_and_save[T: (Person, Case)](
    actor: access.AnyUser, instance: T, action: str, *checks: Callable[[T], None]
) -> None:
    """Validate, run the extra checks, save with history and record the event, atomically."""
    instance.full_clean()
    for check in checks:
        check(instance)
    instance._history_user = actor  # type: ignore[attr-defined]
    with transaction.atomic():
        instance.save()
        audit.record(actor=actor, action=action, obj=instance)


def _refuse_duplicate_citizen_id(person: Person) -> None:
    if person.citizen_id and selectors.citizen_id_holder(number=person.citizen_id, exclude=person):
        # Refusing tells the user the number is on file: that is a lookup, and recorded.
        audit.record(actor=None, action=CaseAction.SEARCH, detail={"kind": "duplicate_citizen_id"})
        raise ValidationError(
            {
                "citizen_id": _(
                    "A person with this citizen ID number is already registered. "
                    "Search for them instead of registering them again."
                )
            }
        )


def person_register(*, actor: access.AnyUser, data: dict[str, Any]) -> Person:
    """Register a new person on behalf of the actor's organisation."""
    profile = access.profile_of(actor)
    if profile is None or not access.can(actor, caps.PERSON_ADD):
        raise PermissionDenied
    person = Person(registered_by=profile.organisation)
    _assign(person, PERSON_FIELDS, data)
    _validate_and_save(actor, person, CaseAction.PERSON_CREATED, _refuse_duplicate_citizen_id)
    return person


def person_update(*, actor: access.AnyUser, person: Person, data: dict[str, Any]) -> Person:
    """Change a person's record; the actor must hold change permission on them."""
    person = access.get_person_for_user(actor, person.pk, "change", record_read=False)
    _assign(person, PERSON_FIELDS, data)
    _validate_and_save(actor, person, CaseAction.PERSON_CHANGED, _refuse_duplicate_citizen_id)
    return person


def _check_case_organisation(actor: access.AnyUser, case: Case) -> None:
    if not access.case_organisations(actor).filter(pk=case.organisation_id).exists():
        raise PermissionDenied


def case_open(*, actor: access.AnyUser, person: Person, data: dict[str, Any]) -> Case:
    """Open a case for a person the actor may change, held by the actor's organisation."""
    person = access.get_person_for_user(actor, person.pk, "change", record_read=False)
    case = Case(person=person)
    _assign(case, CASE_FIELDS, data)
    _check_case_organisation(actor, case)
    _validate_and_save(actor, case, CaseAction.CASE_OPENED)
    return case


def case_update(*, actor: access.AnyUser, case: Case, data: dict[str, Any]) -> Case:
    """Change a case the actor may change."""
    case = access.get_case_for_user(actor, case.pk, "change", record_read=False)
    held_by = case.organisation_id
    _assign(case, CASE_FIELDS, data)
    if case.organisation_id != held_by:
        _check_case_organisation(actor, case)
    _validate_and_save(actor, case, CaseAction.CASE_CHANGED)
    return case


MIN_REASON_LENGTH = 20


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError(
            {"reason": _("Explain why you need this record (at least %(n)d characters).")
             % {"n": MIN_REASON_LENGTH}}
        )  # fmt: skip
    return reason


def emergency_access_request(
    *, actor: access.AnyUser, citizen_id: str, reason: str
) -> tuple[Person | None, EmergencyAccess | None]:
    """Find the holder of a citizen ID number and break the glass on them if out of scope.

    The reason is checked before the lookup, and a lookup that finds nobody is an event too,
    so the form is no silent "is this number on file?" oracle. Returns the person (None if
    nobody holds the number) and the grant (None if the person is already in scope).
    """
    if not access.can(actor, caps.EMERGENCY_REQUEST):
        raise PermissionDenied
    reason = _check_reason(reason)
    person = selectors.citizen_id_holder(number=citizen_id)
    if person is None:
        audit.record(
            actor=actor, action=CaseAction.SEARCH, reason=reason,
            detail={"kind": "emergency_citizen_id", "found": 0},
        )  # fmt: skip
        return None, None
    if access.visible_people(actor).filter(pk=person.pk).exists():
        return person, None
    return person, emergency_access_grant(actor=actor, person=person, reason=reason)


def emergency_access_grant(
    *, actor: access.AnyUser, person: Person, reason: str
) -> EmergencyAccess:
    """Open an out-of-scope person's record for a limited time, for a written reason."""
    if not access.can(actor, caps.EMERGENCY_REQUEST):
        raise PermissionDenied
    assert isinstance(actor, User)  # noqa: S101  (a capability needs a staff profile)
    reason = _check_reason(reason)
    now = timezone.now()
    grant = EmergencyAccess(
        user=actor, person=person, granted_at=now,
        expires_at=now + timedelta(hours=settings.EMERGENCY_ACCESS_HOURS),
    )  # fmt: skip
    grant.reason = reason
    with transaction.atomic():
        grant.full_clean()
        grant.save()
        # A second emergency access to the same person renews the earlier (expired) grants.
        owners: list[Person | Case] = [person, *person.cases.all()]
        for obj in owners:
            roles.grant_give(
                actor=actor, user=actor, obj=obj, expires_at=grant.expires_at, emergency=grant
            )
        audit.record(
            actor=actor, action=CaseAction.EMERGENCY_ACCESS, obj=person, reason=reason,
            detail={"emergency_access": str(grant.pk), "expires_at": grant.expires_at.isoformat()},
        )  # fmt: skip
    return grant


def emergency_access_review(
    *, actor: access.AnyUser, grant: EmergencyAccess, justified: bool, note: str = ""
) -> EmergencyAccess:
    """Mark an emergency access justified or not; the reviewer may not review themselves."""
    grant = access.get_emergency_access_for_review(actor, grant.pk)
    if grant.user_id == actor.pk:
        raise ValidationError(_("Someone else must review your own emergency access."))
    if grant.reviewed_at is not None:
        raise ValidationError(_("This emergency access has already been reviewed."))
    grant.reviewed_by = actor  # type: ignore[assignment]
    grant.reviewed_at = timezone.now()
    grant.justified = justified
    grant.review_note = note.strip()
    with transaction.atomic():
        grant.save(update_fields=["reviewed_by", "reviewed_at", "justified", "review_note"])
        audit.record(
            actor=actor, action=CaseAction.EMERGENCY_REVIEWED, obj=grant, person_id=grant.person_id,
            reason=note.strip(), detail={"justified": justified},
        )  # fmt: skip
    return grant


def emergency_access_revoke(
    *, actor: access.AnyUser, grant: EmergencyAccess, note: str = ""
) -> EmergencyAccess:
    """End a live emergency access now: take its grants away and record who ended it."""
    grant = access.get_emergency_access_for_review(actor, grant.pk)
    if grant.user_id == actor.pk:
        raise ValidationError(_("Someone else must end your own emergency access."))
    now = timezone.now()
    if grant.expires_at <= now:
        raise ValidationError(_("This emergency access has already ended."))
    assert isinstance(actor, User)  # noqa: S101  (a reviewer has a staff profile)
    with transaction.atomic():
        # Only the grants this emergency access gave: a referral's grant on the same record
        # is not the reviewer's to end.
        owners: list[Person | Case] = [
            *Person.objects.filter(personuserobjectpermission__emergency=grant),
            *Case.objects.filter(caseuserobjectpermission__emergency=grant),
        ]
        for obj in owners:
            roles.grant_revoke(actor=actor, user=grant.user, obj=obj, scope="view")
        grant.expires_at = max(now, grant.granted_at + timedelta(microseconds=1))
        grant.save(update_fields=["expires_at"])
        audit.record(
            actor=actor, action=CaseAction.EMERGENCY_REVOKED, obj=grant,
            person_id=grant.person_id, reason=note.strip(),
            detail={"grants_removed": len(owners)},
        )  # fmt: skip
    return grant
