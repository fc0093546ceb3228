"""The roles' rules over the case row and the person row, and the people and cases they
reach (with the one-by-one grants)."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Case as Choose
from django.db.models import Exists, F, OuterRef, Q, QuerySet, When

from accounts.capabilities import Scope
from accounts.models import User

from ..choices import Role
from ..models import (
    Case,
    FamilyLink,
    Person,
)
from .reach import AnyUser, _any_of, _content_roles, _Reach, _reach


def _case_rule(role: str, reach: _Reach, *, by_residence: bool = True) -> list[Q]:
    """The cases one role reaches, over Case's own columns: clauses to OR together.

    ``by_residence=False`` leaves out the residence clause: the people query tests the same
    units on the person row (``_person_rule``), and a case's commune is a copy of its
    person's, so that clause would admit no one the person row has not.
    """
    profile = reach.profile
    if role == Role.CASEWORKER:
        return [Q(organisation_id=profile.organisation_id), Q(assigned_to_id=reach.user.pk)]
    residents = [_any_of("residence_commune_id", reach.units)] if by_residence else []
    if role == Role.COMMUNE_OFFICER:
        return [Q(organisation_id=profile.organisation_id), *residents]
    # Supervisor: the scope unit's subtree, by where people live or where the case is held.
    return [*residents, _any_of("organisation_id", reach.organisations)]


def _person_rule(role: str, reach: _Reach) -> Q:
    """The people one role reaches through the person row itself.

    Never a family member registered without a case (``family_only``): who registered them
    and where they live say nothing of who works with their relative (D42,
    ``_family_clause``).
    """
    registered_here = Q(registered_by_id=reach.profile.organisation_id)
    if role == Role.CASEWORKER:
        return Q(family_only=False) & registered_here
    residents = _any_of("residence_commune_id", reach.units)
    if role == Role.COMMUNE_OFFICER:
        if reach.moved_away:
            # A commune's registration follows the person only while they live there: once a
            # move out is accepted, the old commune reads them for a while (``_moved_out``)
            # and then not at all (D50).
            registered_here &= ~_any_of("pk", reach.moved_away)
        return Q(family_only=False) & (registered_here | residents)
    return Q(family_only=False) & residents


def _family_clause(reach: _Reach, roles: frozenset[str]) -> Q:
    """The family members registered without a case that the roles reach: those linked
    (either way) to a client whom a role's rule reaches, by the person row or a held case.

    Never through a one-by-one grant: a referral's receiver or an emergency access sees the
    client, not the client's family (minimum necessary, D42).
    """
    by_rule = Q()
    held = Q()
    for role in sorted(roles):
        by_rule |= _person_rule(role, reach)
        for clause in _case_rule(role, reach, by_residence=False):
            held |= clause
    through_case = Case.objects.filter(held, person_id=OuterRef("pk"))
    clients = Person.objects.filter(by_rule | Q(Exists(through_case))).values("pk")
    # The link's other end, whichever way round it was written: one probe of the clients.
    other = Choose(When(person_id=OuterRef("pk"), then=F("relative_id")), default=F("person_id"))
    links = (
        FamilyLink.objects.filter(Q(person_id=OuterRef("pk")) | Q(relative_id=OuterRef("pk")))
        .annotate(other_id=other)
        .filter(other_id__in=clients)
    )
    # PostgreSQL runs the probe only for family-only rows (the AND's first arm).
    return Q(family_only=True) & Q(Exists(links))


def _moved_out(reach: _Reach, roles: frozenset[str], scope: Scope) -> tuple[UUID, ...]:
    """Return the people who moved out of the user's communes and whom the old commune
    still reads: view only, for the roles that reach people by residence, until the move's
    ``read_until`` (D50: the reach reads only moves not yet past it)."""
    if scope != "view" or not roles & _BY_RESIDENCE:
        return ()
    return reach.moved_out


_BY_RESIDENCE = frozenset({Role.COMMUNE_OFFICER, Role.SUPERVISOR})


def _case_clauses(
    reach: _Reach, roles: frozenset[str], scope: Scope, *, by_residence: bool = True
) -> list[Q]:
    """Return the clauses whose OR is the user's visible cases: grants, then each role's,
    then the cases of people who moved out (read for a while after the move)."""
    granted = reach.granted(f"{scope}_case")
    clauses = [_any_of("pk", granted)] if granted else []
    for role in sorted(roles):
        clauses += _case_rule(role, reach, by_residence=by_residence)
    moved = _moved_out(reach, roles, scope)
    if moved:
        clauses.append(_any_of("person_id", moved))
    return clauses


def _case_where(
    reach: _Reach, roles: frozenset[str], scope: Scope, *, by_residence: bool = True
) -> Q:
    where = Q()
    for clause in _case_clauses(reach, roles, scope, by_residence=by_residence):
        where |= clause
    return where


def visible_cases(user: AnyUser, scope: Scope = "view") -> QuerySet[Case]:
    """Return the cases the user may view (or change)."""
    profile, roles = _content_roles(user, scope)
    if profile is None or not roles:
        return Case.objects.none()
    assert isinstance(user, User)  # noqa: S101  (profile_of returned a profile)
    return Case.objects.filter(_case_where(_reach(user, profile, roles), roles, scope))


def visible_case_parts(user: AnyUser, scope: Scope = "view") -> list[QuerySet[Case]]:
    """Return querysets whose union is ``visible_cases(user, scope)``, one per clause.

    For counting cheaply: each is one indexed comparison, so counting a few thousand of its
    rows reads only an index, and if one part holds more rows than a list counts, so does
    the whole. Never a way to show rows: lists show ``visible_cases``.
    """
    profile, roles = _content_roles(user, scope)
    if profile is None or not roles:
        return []
    assert isinstance(user, User)  # noqa: S101  (profile_of returned a profile)
    clauses = _case_clauses(_reach(user, profile, roles), roles, scope)
    return [Case.objects.filter(clause) for clause in clauses]


def visible_people(user: AnyUser, scope: Scope = "view") -> QuerySet[Person]:
    """Return the people the user may view (or change): granted, reached through a visible
    case, or reached by a role's rule on the person row."""
    profile, roles = _content_roles(user, scope)
    if profile is None or not roles:
        return Person.objects.none()
    assert isinstance(user, User)  # noqa: S101
    reach = _reach(user, profile, roles)
    # A case admits its person by holder, assignee or grant; by residence, the person row
    # below already does (D26).
    held = _case_where(reach, roles, scope, by_residence=False)
    through_case = Case.objects.filter(held, person_id=OuterRef("pk"))
    # The person row's own comparisons first: PostgreSQL tests an OR's arms in the order
    # written, so a candidate they admit (every resident, for a supervisor) skips the probe
    # of its cases.
    where = Q()
    for role in sorted(roles):
        where |= _person_rule(role, reach)
    granted = reach.granted(f"{scope}_person")
    if granted:
        where |= _any_of("pk", granted)
    moved = _moved_out(reach, roles, scope)
    if moved:
        where |= _any_of("pk", moved)
    return Person.objects.filter(where | Q(Exists(through_case)) | _family_clause(reach, roles))


def _rule_where(reach: _Reach, roles: frozenset[str]) -> Q:
    """Return the OR of the roles' case rules, without any one-by-one grant (the old
    commune's read of a person who moved out is a rule: it sees the whole case)."""
    where = Q()
    for role in sorted(roles):
        for clause in _case_rule(role, reach):
            where |= clause
    moved = _moved_out(reach, roles, "view")
    if moved:
        where |= _any_of("person_id", moved)
    return where
