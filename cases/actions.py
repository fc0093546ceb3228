"""Write people and cases: check permission, validate, save with history in one transaction."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit import actions as audit
from audit import selectors as audit_selectors
from audit.editing import save_edit
from core import normalize
from core.editing import OVERRIDE, IfVersion
from core.fields import BlindIndexField

from . import access, residence, roles, selectors
from . import capabilities as caps
from .events import CaseAction
from .models import AdministrativeUnit, Case, EmergencyAccess, Organisation, Person
from .move_models import ResidenceSource


@dataclass(frozen=True, kw_only=True)
class PersonData:
    """What a person form gives an action: exactly the editable fields of a person."""

    full_name: str
    aliases: str = ""
    citizen_id: str = ""
    phone: str = ""
    address: str = ""
    family_contact: str = ""
    birth_date: str = ""
    residence_commune: AdministrativeUnit
    sex: str
    birth_year: int
    birth_year_estimated: bool = False
    ethnicity: str = ""
    old_id_number: str = ""


@dataclass(frozen=True, kw_only=True)
class CaseData:
    """What a case form gives an action: exactly the editable fields of a case."""

    category: str
    managed_record: bool = False
    status: str
    opened_on: date
    closed_on: date | None = None
    organisation: Organisation
    assigned_to: User | None = None
    notes: str = ""


def _assign(instance: Person | Case, data: PersonData | CaseData) -> None:
    for field in fields(data):
        setattr(instance, field.name, getattr(data, field.name))


def _lock_citizen_id(person: Person) -> None:
    """Serialise registrations of the same citizen ID number until the transaction ends.

    Two concurrent registrations of one number would otherwise both pass the duplicate
    check. The lock is keyed by the number's blind index (collisions only serialise).
    """
    if not person.citizen_id or connection.vendor != "postgresql":
        return  # SQLite (the demo) serialises every write anyway
    field = Person._meta.get_field("citizen_id_index")
    assert isinstance(field, BlindIndexField)  # noqa: S101
    key = field.compute(person.citizen_id)
    with connection.cursor() as cursor:
        # Shared: registrations run side by side; a register import takes it exclusively
        # for its last check before it commits (D54).
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, 0)", [CITIZEN_IDS_LOCK])
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [CITIZEN_ID_LOCK, key])


CITIZEN_ID_LOCK = 7_221_001  # advisory-lock namespace of citizen ID registrations
# One lock over all citizen ID registrations: each registration holds it shared; a register
# import, which registers thousands of numbers in one transaction (more per-number locks
# than PostgreSQL's lock table holds), takes it exclusively only to check its numbers again
# just before it commits (D44, D54).
CITIZEN_IDS_LOCK = 7_221_002
# A user who hits this many "already registered" answers in an hour is stopped for a while:
# each answer tells them a number is on file.
DUPLICATE_CHECKS_PER_HOUR = 10


def _save_person(
    actor: access.AnyUser,
    person: Person,
    action: str,
    if_version: IfVersion,
    detail: dict[str, Any] | None = None,
    *,
    old_commune_id: int | None = None,
) -> Person:
    """Save a person unless another person already holds the citizen ID number; a change of
    commune (or a registration) writes the residence history in the same transaction."""
    if person.citizen_id:
        since = timezone.now() - timedelta(hours=1)
        seen = audit_selectors.count_by(actor=actor, action=CaseAction.DUPLICATE_CHECK, since=since)
        if seen >= DUPLICATE_CHECKS_PER_HOUR:
            access.deny(actor, "register", object_type="person", reason="duplicate_check_limit")
            raise ValidationError(
                _(
                    "Too many numbers already on file were entered in the last hour. "
                    "Try again later, or ask your supervisor."
                )
            )
    with transaction.atomic():
        _lock_citizen_id(person)
        holder = (
            selectors.citizen_id_holder(number=person.citizen_id, exclude=person)
            if person.citizen_id
            else None
        )
        if holder is None:
            saved = save_edit(
                actor=actor, instance=person, action=action, if_version=if_version, detail=detail
            )
            _copy_residence(saved)
            residence.residence_record(
                person_id=saved.pk,
                old_commune_id=old_commune_id,
                new_commune_id=saved.residence_commune_id,
                on=timezone.localdate(),
                source=(
                    ResidenceSource.REGISTRATION
                    if action == CaseAction.PERSON_CREATED
                    else ResidenceSource.EDIT
                ),
                actor=actor,
            )
            return saved
    # Refusing tells the user the number is on file: a lookup of that person, recorded
    # (after the transaction, so the refusal does not roll it back).
    audit.record(
        actor=actor,
        action=CaseAction.DUPLICATE_CHECK,
        obj=holder,
        detail={"kind": "citizen_id"},
    )
    raise ValidationError(
        {
            "citizen_id": _(
                "A person with this citizen ID number is already registered. "
                "Search for them instead of registering them again."
            )
        }
    )


def _copy_residence(person: Person) -> None:
    """Keep the copy of the person's commune on their cases (the scope rules filter on it).

    In the person's save transaction: a move takes the cases, and who sees them, along.
    """
    Case.objects.filter(person_id=person.pk).exclude(
        residence_commune_id=person.residence_commune_id
    ).update(residence_commune_id=person.residence_commune_id)


class PossibleDuplicateError(ValidationError):
    """People the actor may see are likely the person being registered: confirm first."""

    def __init__(self, matches: list[Person]) -> None:
        super().__init__(
            _(
                "This person may already be registered. Open the record if it is the same "
                "person, or confirm that it is a different person."
            ),
            code="possible_duplicate",
        )
        self.matches = matches


def person_new(*, actor: access.AnyUser, data: PersonData) -> Person:
    """Build (not save) a person held by the actor's organisation; refuse without the verb.

    ``person_register`` saves one; a register import (``registers.bulk``) saves many at once.
    """
    profile = access.profile_of(actor)
    if profile is None or not access.can(actor, caps.PERSON_ADD):
        raise PermissionDenied
    person = Person(registered_by=profile.organisation)
    _assign(person, data)
    return person


def case_new(*, person: Person, data: CaseData) -> Case:
    """Build (not save) a case of a person from the form's data (no check: see case_open)."""
    case = Case(person=person)
    _assign(case, data)
    case.residence_commune_id = person.residence_commune_id  # as Case.save keeps it
    return case


def case_assignee_check(*, actor: access.AnyUser, data: CaseData, person: Person) -> None:
    """Refuse (denial event, ValidationError) opening a case with this holder and assignee."""
    _check_assignee(actor, None, data, person)


def person_register(
    *, actor: access.AnyUser, data: PersonData, different_from: Collection[str] = ()
) -> Person:
    """Register a new person on behalf of the actor's organisation.

    Refused with ``PossibleDuplicateError`` while a likely match the actor may see (same
    name, year of birth and sex) has not been confirmed as a different person
    (``different_from``: the ids the actor was shown); the registration event names them.
    """
    person = person_new(actor=actor, data=data)
    matches = selectors.possible_duplicates(
        viewer=actor,
        full_name=data.full_name,
        birth_year=data.birth_year,
        sex=data.sex,
        citizen_id=data.citizen_id,
        commune=data.residence_commune,
    )
    if any(str(match.pk) not in different_from for match in matches):
        raise PossibleDuplicateError(matches)
    detail = {"different_from": [str(match.pk) for match in matches]} if matches else None
    return _save_person(actor, person, CaseAction.PERSON_CREATED, OVERRIDE, detail=detail)


def person_update(
    *, actor: access.AnyUser, person: Person, data: PersonData, if_version: IfVersion
) -> Person:
    """Change a person's record; the actor must hold change permission on them.

    Refused with ``EditConflict`` if the record changed since version ``if_version``.
    """
    person = access.get_person_for_user(actor, person.pk, "change", record_read=False)
    old_commune_id = person.residence_commune_id
    _assign(person, data)
    return _save_person(
        actor, person, CaseAction.PERSON_CHANGED, if_version, old_commune_id=old_commune_id
    )


def case_open(*, actor: access.AnyUser, person: Person, data: CaseData) -> Case:
    """Open a case for a person the actor may change, held by the actor's organisation."""
    person = access.get_person_for_user(actor, person.pk, "change", record_read=False)
    if not access.case_organisations(actor).filter(pk=data.organisation.pk).exists():
        raise PermissionDenied
    _check_assignee(actor, None, data, person)
    case = case_new(person=person, data=data)
    return save_edit(actor=actor, instance=case, action=CaseAction.CASE_OPENED, if_version=OVERRIDE)


def _changed_fields(case: Case, data: CaseData) -> list[str]:
    """Return the names of the case fields this edit changes (never their values)."""
    changed = []
    for field in fields(data):
        old = getattr(case, field.name)
        new = getattr(data, field.name)
        if isinstance(old, models.Model) or isinstance(new, models.Model):
            old, new = getattr(old, "pk", None), getattr(new, "pk", None)
        if old != new:
            changed.append(field.name)
    return sorted(changed)


def _check_assignee(
    actor: access.AnyUser, case: Case | None, data: CaseData, person: Person
) -> None:
    """Refuse an assignment that is not the holder's to make, or not to the holder's staff.

    Assigning a case opens it to the assignee (a caseworker sees the cases assigned to
    them), so only staff of the organisation that holds it may assign it, and only to the
    staff of the organisation that will hold it: anyone else would open it to their own
    colleague without a referral (issue 22). Refused attempts are ``denied`` events.
    """
    assignee = data.assigned_to
    if (
        case is not None
        and assignee == case.assigned_to
        and data.organisation.pk == case.organisation_id
    ):
        return  # neither the assignee nor the holder changes
    profile = access.profile_of(actor)
    holder = case.organisation_id if case is not None else data.organisation.pk
    if profile is None or profile.organisation_id != holder:
        message = _("Only the organisation that holds this case can assign it.")
    elif (
        assignee is not None
        and not access.assignable_staff(Organisation.objects.filter(pk=data.organisation.pk))
        .filter(pk=assignee.pk)
        .exists()
    ):
        message = _("A case can be assigned only to staff of the organisation that holds it.")
    else:
        return
    access.deny(
        actor,
        "assign",
        obj=case,
        object_type="case",
        person_id=person.pk,
        to=assignee.pk if assignee else None,
    )
    raise ValidationError({"assigned_to": message})


def case_update(
    *, actor: access.AnyUser, case: Case, data: CaseData, if_version: IfVersion
) -> Case:
    """Change a case the actor may change.

    The holding organisation changes only by a transfer the receiver accepts (the referral
    workflow); until then only staff of the holder may change it, and the event names the
    old and new holder.
    """
    case = access.get_case_for_user(actor, case.pk, "change", record_read=False)
    held_by = case.organisation_id
    detail: dict[str, Any] | None = None
    if data.organisation.pk != held_by:
        profile = access.profile_of(actor)
        if profile is None or profile.organisation_id != held_by:
            access.deny(actor, "change_holder", obj=case, to=str(data.organisation.pk))
            raise ValidationError(
                {
                    "organisation": _(
                        "Only the organisation that holds this case can hand it "
                        "over to another, by a transfer."
                    )
                }
            )
        detail = {"holder": [str(held_by), str(data.organisation.pk)]}
    if data.status != case.status:
        # Closing takes a reason and a summary, and for some categories an approval;
        # re-opening a reason (cases.closure, D45): never a plain edit of the status.
        raise ValidationError(
            {"status": _("Close or re-open the case with its own button on the case page.")}
        )
    _check_assignee(actor, case, data, case.person)
    detail = (detail or {}) | {"fields": _changed_fields(case, data)}
    _assign(case, data)
    return save_edit(
        actor=actor,
        instance=case,
        action=CaseAction.CASE_CHANGED,
        if_version=if_version,
        detail=detail,
    )


MIN_REASON_LENGTH = 20


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError(
            {
                "reason": _("Explain why you need this record (at least %(n)d characters).")
                % {"n": MIN_REASON_LENGTH}
            }
        )
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
    if not normalize.digits(citizen_id):
        raise ValidationError(
            _("The number you are looking for has no digits: type all its digits."),
            code="no_digits",
        )
    person = selectors.citizen_id_holder(number=citizen_id)
    if person is None:
        audit.record(
            actor=actor,
            action=CaseAction.SEARCH,
            reason=reason,
            detail={"kind": "emergency_citizen_id", "found": 0},
        )
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
        user=actor,
        person=person,
        granted_at=now,
        expires_at=now + timedelta(hours=settings.EMERGENCY_ACCESS_HOURS),
    )
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
            actor=actor,
            action=CaseAction.EMERGENCY_ACCESS,
            obj=person,
            reason=reason,
            detail={"emergency_access": str(grant.pk), "expires_at": grant.expires_at.isoformat()},
        )
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
            actor=actor,
            action=CaseAction.EMERGENCY_REVIEWED,
            obj=grant,
            person_id=grant.person_id,
            reason=note.strip(),
            detail={"justified": justified},
        )
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
        until = grant.expires_at
        grant.expires_at = max(now, grant.granted_at + timedelta(microseconds=1))
        grant.save(update_fields=["expires_at"])
        # Only the hold of this emergency access ends: a grant that a referral (or an
        # administrator) holds on the same record is not the reviewer's to end.
        owners: list[Person | Case] = [
            *Person.objects.filter(personuserobjectpermission__emergency=grant),
            *Case.objects.filter(caseuserobjectpermission__emergency=grant),
        ]
        removed = sum(
            roles.grant_end(actor=actor, user=grant.user, obj=obj, until=until) for obj in owners
        )
        audit.record(
            actor=actor,
            action=CaseAction.EMERGENCY_REVOKED,
            obj=grant,
            person_id=grant.person_id,
            reason=note.strip(),
            detail={"grants_removed": removed},
        )
    return grant


def case_transfer(
    *,
    actor: access.AnyUser,
    case_id: Any,
    to_organisation: Organisation,
    referral_id: Any = None,
    move_id: Any = None,
) -> Case:
    """Hand a case to a new holding organisation, accepted by one of its staff.

    The single path by which a case changes holder without its holder's own edit: the
    referral workflow calls it, inside the acceptance of a transfer, with that referral's id
    (the event names the old and new holder and the referral). A move's hand-over
    (``cases.moves.move_accept``) calls it the same way with the move's id. The accepting
    staff member becomes the case's assigned staff.
    """
    profile = access.profile_of(actor)
    if profile is None or profile.organisation_id != to_organisation.pk:
        access.deny(
            actor,
            "change_holder",
            object_type="case",
            object_id=case_id,
            to=str(to_organisation.pk),
        )
        raise PermissionDenied
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).select_related("person").get(pk=case_id)
        held_by = case.organisation_id
        case.organisation = to_organisation
        case.assigned_to = actor  # type: ignore[assignment]
        return save_edit(
            actor=actor,
            instance=case,
            action=CaseAction.CASE_CHANGED,
            if_version=OVERRIDE,
            detail={
                "holder": [str(held_by), str(to_organisation.pk)],
                **({"transfer": str(referral_id)} if referral_id is not None else {}),
                **({"move": str(move_id)} if move_id is not None else {}),
            },
        )
