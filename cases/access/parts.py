"""Parts of a case (minimum necessary): what a user who sees a case only through one-by-one
grants may see of it, and the identity rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User

from ..models import (
    Case,
    EmergencyAccess,
    Person,
    StaffProfile,
)
from .paths import _scope_target, scope_path
from .reach import AnyUser, _any_of, _content_roles, _Reach, _reach
from .rules import _family_clause, _moved_out, _person_rule, _rule_where, visible_people


class AllParts:
    """Every part of a case: what anyone who reaches the case by a rule may see."""

    whole = True  # templates: {% if parts.whole %}

    def __contains__(self, part: object) -> bool:
        return True

    def __repr__(self) -> str:
        return "ALL"


ALL = AllParts()
Parts = frozenset[str] | AllParts
# Called with the user and the case id; returns the parts that the app's one-by-one grants
# open to the user on that case (referrals: the parts of the user's live accepted referrals).
PartsSource = Callable[[User, UUID], Parts]
_parts_sources: list[PartsSource] = []


def register_parts(source: PartsSource) -> None:
    """Add a source of the parts that one-by-one grants open (an app calls it in ready())."""
    if source not in _parts_sources:
        _parts_sources.append(source)


def _granted_parts(user: User, case_ids: list[UUID]) -> Parts:
    """Return the union of the parts the registered sources open on these cases."""
    found: set[str] = set()
    for case_id in case_ids:
        for source in _parts_sources:
            parts = source(user, case_id)
            if isinstance(parts, AllParts):
                return ALL
            found |= parts
    return frozenset(found)


def _in_emergency(user: User, person_id: UUID) -> bool:
    live = EmergencyAccess.objects.filter(
        user_id=user.pk, person_id=person_id, expires_at__gt=timezone.now()
    )
    return live.exists()


def parts_visible(user: AnyUser, case: Case) -> Parts:
    """Return which parts of the case the user may see: ALL when a rule or an emergency
    access reaches it, else the parts their one-by-one grants open (maybe none)."""
    profile, roles = _content_roles(user, "view")
    if profile is None or not roles:
        return frozenset()
    assert isinstance(user, User)  # noqa: S101  (profile_of returned a profile)
    reach = _reach(user, profile, roles)
    if Case.objects.filter(_rule_where(reach, roles), pk=case.pk).exists():
        return ALL
    if _in_emergency(user, case.person_id):
        return ALL
    return _granted_parts(user, [case.pk])


def _people_by_rule(reach: _Reach, roles: frozenset[str], person_ids: list[UUID]) -> set[UUID]:
    """Return which of these people the roles reach by a rule (not by a grant)."""
    through_case = Case.objects.filter(_rule_where(reach, roles)).filter(person_id=OuterRef("pk"))
    where = Q(Exists(through_case))
    for role in sorted(roles):
        where |= _person_rule(role, reach)
    moved = _moved_out(reach, roles, "view")
    if moved:
        where |= _any_of("pk", moved)
    where |= _family_clause(reach, roles)
    rows = Person.objects.filter(where, pk__in=person_ids).values_list("pk", flat=True)
    return set(rows)


def person_parts_visible(user: AnyUser, person: Person) -> Parts:
    """Return which parts of the person's record the user may see: ALL when a rule or an
    emergency access reaches them, else what the grants on their cases open."""
    profile, roles = _content_roles(user, "view")
    if profile is None or not roles:
        return frozenset()
    assert isinstance(user, User)  # noqa: S101
    reach = _reach(user, profile, roles)
    if _people_by_rule(reach, roles, [person.pk]) or _in_emergency(user, person.pk):
        return ALL
    granted = reach.granted("view_case")
    if not granted:
        return frozenset()
    cases = Case.objects.filter(person_id=person.pk).filter(_any_of("pk", granted))
    return _granted_parts(user, list(cases.values_list("pk", flat=True)))


def identity_hidden(user: AnyUser, person_ids: list[UUID], *, visible: bool = False) -> set[UUID]:
    """Return which of these people the user reaches only through grants that do not share
    their identity: pages and lists show them by record number, like masked victims.

    Anyone else (no staff profile, no content role: an auditor, an administrator) sees no
    identity at all, so every person is hidden from them. Answers are kept for the request
    (``_Reach.identity_memo``), so a list asks once and its rows' names ask nothing more.
    ``visible=True``: the ids were read through ``visible_people`` / ``visible_cases`` (a
    search, a list), so a viewer without one-by-one grants is not asked again.
    """
    if not person_ids:
        return set()
    profile, roles = _content_roles(user, "view")
    if profile is None or not roles:
        return set(person_ids)
    assert isinstance(user, User)  # noqa: S101
    reach = _reach(user, profile, roles)
    memo = reach.identity_memo
    asked = [person_id for person_id in dict.fromkeys(person_ids) if person_id not in memo]
    if asked:
        granted = reach.granted("view_case")
        if not granted and visible:
            hidden = set()  # no one-by-one grant: whoever the user sees, a rule shows whole
        elif not granted:
            # The same, and one statement hides anyone the user does not see at all.
            seen = visible_people(user).filter(pk__in=asked).values_list("pk", flat=True)
            hidden = set(asked) - set(seen)
        else:
            rest = set(asked) - _people_by_rule(reach, roles, asked)
            hidden = {pid for pid in rest if _identity_not_granted(user, pid, granted)}
        for person_id in asked:
            memo[person_id] = person_id in hidden
    return {person_id for person_id in person_ids if memo[person_id]}


def _identity_not_granted(user: User, person_id: UUID, granted: tuple[UUID, ...]) -> bool:
    """Return whether no emergency access and no grant on the person's cases shares their
    identity (for a person no rule reaches)."""
    if _in_emergency(user, person_id):
        return False
    cases = Case.objects.filter(person_id=person_id).filter(_any_of("pk", granted))
    parts = _granted_parts(user, list(cases.values_list("pk", flat=True)))
    return "identity" not in parts


def identity_shown(user: AnyUser, person: Person | UUID) -> bool:
    """Return whether the user may see who this person is: name, other names, citizen ID,
    old ID, date of birth, phone, address, family contact (the ``identity`` part).

    The one question every page, template tag and list asks before it shows one of those
    (``cases.templatetags.people``): a rule or an emergency access shows them, a grant only
    if it shares ``identity``.
    """
    person_id = person.pk if isinstance(person, Person) else person
    return person_id not in identity_hidden(user, [person_id])


def parts_by_case(user: AnyUser, case_ids: list[UUID]) -> dict[UUID, Parts]:
    """Return ``parts_visible`` for each of these cases the user sees (one query for those
    a rule reaches)."""
    profile, roles = _content_roles(user, "view")
    if profile is None or not roles:
        return dict.fromkeys(case_ids, frozenset())
    assert isinstance(user, User)  # noqa: S101
    reach = _reach(user, profile, roles)
    if not reach.granted("view_case"):
        # Without a one-by-one grant, a case the user sees is reached by a rule: whole.
        return dict.fromkeys(case_ids, ALL)
    by_rule = set(
        Case.objects.filter(_rule_where(reach, roles), pk__in=case_ids).values_list("pk", flat=True)
    )
    result: dict[UUID, Parts] = {}
    for case_id in case_ids:
        if case_id in by_rule:
            result[case_id] = ALL
        else:
            case = Case.objects.only("pk", "person_id").get(pk=case_id)
            result[case_id] = parts_visible(user, case)
    return result


# Which part of a case each kind of record belongs to (registered by the apps in ready()):
# a user who sees the case only through grants reads a record only if its part is shared.
# ANY_PART: any viewer of the case (the referral itself); unregistered: whole-case viewers.
ANY_PART = "*"


# A row-part value no referral shares: the row opens only to viewers of the whole case (a
# document on a record that is in no part).
WHOLE_CASE = "whole"


@dataclass(frozen=True)
class RowPart:
    """Each row names its own part in a column (a document: an ID card copy is ``identity``,
    a medical certificate ``treatment``); an empty value: whole-case viewers only.

    ``also`` names a second column (a document on a record: the record's part): a
    part-limited viewer then needs every non-empty one of the two shared, and at least one
    of them non-empty.
    """

    field: str
    also: str = ""


_record_parts: dict[type[models.Model], str | RowPart] = {}


def register_record_part(model: type[models.Model], part: str | RowPart) -> None:
    """Say which part of a case (a ``referrals.models.Part`` code, ANY_PART, or each row's
    own column: ``RowPart``) a model is."""
    _record_parts[model] = part


def record_part_of(model: type[models.Model]) -> str | RowPart:
    """Return the part registered for a model ("" when none: whole-case viewers only)."""
    return _record_parts.get(model, "")


# Rows a part-limited viewer sees whatever the parts shared (the referrals addressed to the
# viewer's own organisation): a filter built from the user and their staff profile.
OwnRows = Callable[[User, StaffProfile], Q]
_own_rows: dict[type[models.Model], OwnRows] = {}


def register_own_rows(model: type[models.Model], own: OwnRows) -> None:
    """Say which rows of a model a viewer sees on a case that grants open only in part."""
    _own_rows[model] = own


def _part_shown(parts: Parts, part: str) -> bool:
    return isinstance(parts, AllParts) or (bool(part) and part in parts)


def limit_to_parts[M: models.Model](
    user: AnyUser, model: type[M], rows: QuerySet[M], *, part: str | None = None
) -> QuerySet[M]:
    """Drop the rows of cases the user sees only through grants that do not share the
    model's part (minimum necessary); a user without such grants keeps every row.

    ``part`` asks for another part than the model's own: a page that shows a record with
    rows of another part (a methadone episode, a treatment record, with its doses) passes
    that part too.
    """
    if part is None and (model in (Person, Case) or _record_parts.get(model) == ANY_PART):
        return rows
    if _scope_target(model) is not Case:
        return rows
    profile, roles = _content_roles(user, "view")
    if profile is None or not roles:
        return rows.none()
    assert isinstance(user, User)  # noqa: S101
    granted = _reach(user, profile, roles).granted("view_case")
    if not granted:
        return rows  # no one-by-one grant: whatever the user sees, a rule shows it whole
    registered = _record_parts.get(model, "") if part is None else part
    parts = parts_by_case(user, list(granted))
    if isinstance(registered, RowPart):
        keep = _rows_of_shared_parts(model, registered, parts)
    else:
        hidden = [case_id for case_id, shown in parts.items() if not _part_shown(shown, registered)]
        if not hidden:
            return rows
        keep = ~Q(**{f"{scope_path(model)}__in": hidden})
    own = _own_rows.get(model)
    if own is not None:
        keep |= own(user, profile)
    return rows.filter(keep)


def _rows_of_shared_parts(
    model: type[models.Model], row_part: RowPart, parts: dict[UUID, Parts]
) -> Q:
    """Keep rows of cases shown whole, and of the others only rows with at least one part
    column set and every set one shared (one column: its part is shared)."""
    path = scope_path(model)
    limited = {
        case_id: shown for case_id, shown in parts.items() if not isinstance(shown, AllParts)
    }
    keep = ~Q(**{f"{path}__in": list(limited)})
    columns = [column for column in (row_part.field, row_part.also) if column]
    for case_id, shown in limited.items():
        every_set_shared, any_set = Q(), Q()
        for column in columns:
            every_set_shared &= Q(**{f"{column}__in": sorted(shown)}) | Q(**{column: ""})
            any_set |= ~Q(**{column: ""})
        keep |= Q(**{path: case_id}) & every_set_shared & any_set
    return keep


def record_shown(user: AnyUser, record: models.Model) -> bool:
    """Return whether the user may read this record of a case they see (minimum necessary)."""
    model = type(record)
    if model in (Person, Case):
        return True
    return limit_to_parts(user, model, model._default_manager.filter(pk=record.pk)).exists()
