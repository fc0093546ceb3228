"""Decide who may see, change or add which people, cases and records hanging off them.

The one place that does. Every view, form choice list, search, export and report reaches
scoped records through this module:

- ``visible(user, Model, scope)``: the rows of any scoped model the user may view or change
  (people, cases, and any model with a foreign-key path to one of them, ``scope_path``);
- ``get_for_user(user, Model, pk, scope)``: fetch one, recording the read (an event naming
  the person) or the denial (then 404, so existence does not leak);
- ``can(user, capability, obj)`` (from ``accounts.capabilities``): the verb check, which asks
  ``in_scope`` below for an object;
- ``figures_people`` / ``figures_cases``: what aggregate figures may count, by the user's
  administrative unit only, never widened by one-by-one or emergency grants.

Each rule is written so that an indexed predicate (primary key, blind index, organisation,
unit) can run first and the rule is plain indexed comparisons, or a correlated ``EXISTS``
probe, per candidate row: cost stays flat as the tables grow.

Roles come from the user's groups (``accounts.capabilities.roles_of``); scope from the staff
profile; one-by-one grants (a referral's acceptance, an emergency access) from guardian's
direct-FK tables, honouring their expiry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, cast
from uuid import UUID

from django.contrib.auth.models import AnonymousUser, Permission
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection, models
from django.db.models import Exists, F, Lookup, OuterRef, Q, QuerySet
from django.db.models.lookups import In
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import Http404
from django.utils import timezone

from accounts import capabilities
from accounts.capabilities import Capability, Scope, can, has_role, roles_of
from accounts.models import User
from audit import actions as audit
from audit import context as audit_context

from . import capabilities as caps
from .choices import ClientCategory, Role
from .events import CaseAction
from .models import (
    AdministrativeUnit,
    Case,
    CaseUserObjectPermission,
    EmergencyAccess,
    Organisation,
    Person,
    PersonUserObjectPermission,
    StaffProfile,
)

__all__ = ["can", "has_role", "roles_of"]  # re-exported for views and templates

AnyUser = User | AnonymousUser

logger = logging.getLogger("hoa_nhap.access")


def profile_of(user: Any) -> StaffProfile | None:
    """Return the active user's staff profile, or None for anyone without one."""
    if not isinstance(user, User) or not user.is_active:
        return None
    try:
        return user.staff
    except StaffProfile.DoesNotExist:
        return None


# --- the rules -----------------------------------------------------------------------------


def _content_roles(user: AnyUser, scope: Scope) -> tuple[StaffProfile | None, frozenset[str]]:
    """Return the profile and the roles that let the user reach case content in ``scope``."""
    profile = profile_of(user)
    if profile is None:
        return None, frozenset()
    capability = caps.CASE_VIEW if scope == "view" else caps.CASE_CHANGE
    return profile, roles_of(user) & capabilities.holders(capability)


def _units_under(unit: AdministrativeUnit) -> list[int]:
    """The unit and every unit below it (a few, or a province's ~150 communes)."""
    return list(
        AdministrativeUnit.objects.filter(path__startswith=unit.path)
        .order_by()  # a set: no need to sort it
        .values_list("pk", flat=True)
    )


class AnyOf(Lookup):
    """``column = ANY(%s)`` with the whole list as one array parameter (PostgreSQL).

    PostgreSQL plans it exactly as ``column IN (…)`` (both are an array comparison it
    estimates from the values), but Django and the driver handle one parameter instead of
    one per value, which is most of a large list's cost per query. The parameter is the
    array's text form cast to the column's type, built once: ids and UUIDs print as
    themselves, so the driver escapes one string instead of adapting each value (a
    province's ~150 communes, twice per person query). Elsewhere it is ``IN``.
    """

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        values = list(self.rhs)
        if not values:
            raise EmptyResultSet
        if connection.vendor != "postgresql":
            sql, params = compiler.compile(In(self.lhs, values))
            return sql, params
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        array_type = self.lhs.output_field.db_type(connection)
        return f"{lhs_sql} = ANY(%s::{array_type}[])", [*lhs_params, _array_text(values)]


def _array_text(values: list[Any]) -> str:
    """Return ids or UUIDs as a PostgreSQL array literal, refusing any other value."""
    for value in values:
        if not isinstance(value, int | UUID) or isinstance(value, bool):
            raise TypeError(f"an id list holds ints or UUIDs, not {type(value).__name__}")
    return "{" + ",".join(map(str, values)) + "}"


def _any_of(column: str, values: Any) -> Q:
    return Q(AnyOf(F(column), values))


# Each rule is an OR of plain indexed comparisons on the filtered table's own columns, with
# the sets (units, organisations, grants) resolved first: PostgreSQL can then combine index
# scans (BitmapOr) for a list, or probe one row by primary key for a page, and estimate
# both right. A rule that joined other tables or hid a set in a subquery cannot.

_GRANT_CODENAMES = ("view_case", "change_case", "view_person", "change_person")


@dataclass(frozen=True)
class _Reach:
    """One user's scope with its sets resolved: units under the scope unit, organisations
    there, and the live one-by-one grants by codename (``view_case`` → case ids)."""

    user: User
    profile: StaffProfile
    units: tuple[int, ...]
    organisations: tuple[UUID, ...]
    grants: dict[str, tuple[UUID, ...]]
    # Whether each person's identity is hidden from this user, as pages asked it: a page
    # that names one person in several places, or a list then its rows, asks once. Dropped
    # with the reach when a grant changes.
    identity_memo: dict[UUID, bool] = dataclass_field(
        default_factory=dict, compare=False, repr=False
    )

    def granted(self, codename: str) -> tuple[UUID, ...]:
        """Return the ids of the objects granted one by one for ``codename``, not expired."""
        return self.grants.get(codename, ())


def _like_prefix(path: str) -> str:
    # The LIKE pattern "starts with path", as Django's startswith escapes it.
    return connection.ops.prep_for_like_query(path) + "%"


# The sets one user's rules read, as (kind, ids) rows; {…} are table names from model
# metadata (quoted), every value is a parameter. Units and organisations come as one row
# each (the ids comma-separated, NULL if none): one row to read instead of a province's ~190.
_UNITS_SQL = (
    "SELECT 'unit', {agg}(CAST(u.id AS TEXT), ',') FROM {unit} u WHERE u.path LIKE %s ESCAPE '\\'"
)
_ORGANISATIONS_SQL = (
    "SELECT 'organisation', {agg}(CAST(o.id AS TEXT), ',') FROM {organisation} o "
    "JOIN {unit} u ON u.id = o.unit_id WHERE u.path LIKE %s ESCAPE '\\'"
)
_GRANTS_SQL = (
    "SELECT p.codename, CAST(g.content_object_id AS TEXT) FROM {grant} g "
    "JOIN {permission} p ON p.id = g.permission_id WHERE g.user_id = %s "
    "AND p.codename IN (%s, %s, %s, %s) AND (g.expires_at IS NULL OR g.expires_at > %s)"
)


def _reach_sql(profile: StaffProfile, roles: frozenset[str]) -> tuple[str, list[Any]]:
    """Return one statement reading every set the roles' rules need, as (kind, id) rows."""
    q = connection.ops.quote_name
    tables = {
        "unit": q(AdministrativeUnit._meta.db_table),
        "organisation": q(Organisation._meta.db_table),
        "permission": q(Permission._meta.db_table),
        # The demo's SQLite names PostgreSQL's string_agg group_concat.
        "agg": "string_agg" if connection.vendor == "postgresql" else "group_concat",
    }
    like = _like_prefix(profile.scope_unit.path)
    parts: list[tuple[str, list[Any]]] = []
    if roles & {Role.COMMUNE_OFFICER, Role.SUPERVISOR}:
        parts.append((_UNITS_SQL.format(**tables), [like]))
    if Role.SUPERVISOR in roles:
        parts.append((_ORGANISATIONS_SQL.format(**tables), [like]))
    now = connection.ops.adapt_datetimefield_value(timezone.now())  # as the column stores it
    live = [profile.user_id, *_GRANT_CODENAMES, now]
    for table in (CaseUserObjectPermission, PersonUserObjectPermission):
        parts.append((_GRANTS_SQL.format(grant=q(table._meta.db_table), **tables), live))
    return " UNION ALL ".join(sql for sql, _ in parts), [p for _, ps in parts for p in ps]


def _resolve_reach(user: User, profile: StaffProfile, roles: frozenset[str]) -> _Reach:
    """Read the user's sets in one round trip (units and organisations only where a role's
    rule needs them)."""
    sql, params = _reach_sql(profile, roles)
    units: list[int] = []
    organisations: list[UUID] = []
    grants: dict[str, list[UUID]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, text in cursor.fetchall():
            if kind == "unit":
                units += [int(i) for i in text.split(",")] if text else []
            elif kind == "organisation":
                organisations += [UUID(i) for i in text.split(",")] if text else []
            else:
                grants.setdefault(kind, []).append(UUID(text))
    frozen = {codename: tuple(ids) for codename, ids in grants.items()}
    return _Reach(user, profile, tuple(units), tuple(organisations), frozen)


_REACH_ATTRIBUTE = "_hoa_nhap_reach"


def _request_reaches() -> dict[tuple[Any, ...], _Reach] | None:
    """Return the current request's resolved reaches, or None outside a request."""
    request = audit_context.current().request
    if request is None:
        return None
    reaches: dict[tuple[Any, ...], _Reach] | None = getattr(request, _REACH_ATTRIBUTE, None)
    if reaches is None:
        reaches = {}
        setattr(request, _REACH_ATTRIBUTE, reaches)
    return reaches


def _reach(user: User, profile: StaffProfile, roles: frozenset[str]) -> _Reach:
    """Return the user's reach, resolved at most once per request.

    Kept on the request object, so it never outlives the request nor serves another one;
    keyed by the user and what the rules read from the profile, so it never serves another
    user; dropped whenever a unit, an organisation or a grant is written during the request
    (``forget_reach``), so a grant given or taken mid-request counts from that moment on.
    Outside a request (commands, tests calling selectors) nothing is kept.
    """
    reaches = _request_reaches()
    key = (user.pk, profile.pk, profile.organisation_id, profile.scope_unit_id, roles)
    if reaches is not None and key in reaches:
        return reaches[key]
    reach = _resolve_reach(user, profile, roles)
    if reaches is not None:
        reaches[key] = reach
    return reach


@receiver(post_save, sender=AdministrativeUnit, dispatch_uid="reach_units_saved")
@receiver(post_delete, sender=AdministrativeUnit, dispatch_uid="reach_units_deleted")
@receiver(post_save, sender=Organisation, dispatch_uid="reach_orgs_saved")
@receiver(post_delete, sender=Organisation, dispatch_uid="reach_orgs_deleted")
@receiver(post_save, sender=CaseUserObjectPermission, dispatch_uid="reach_case_grant_saved")
@receiver(post_delete, sender=CaseUserObjectPermission, dispatch_uid="reach_case_grant_gone")
@receiver(post_save, sender=PersonUserObjectPermission, dispatch_uid="reach_person_grant_saved")
@receiver(post_delete, sender=PersonUserObjectPermission, dispatch_uid="reach_person_grant_gone")
def forget_reach(**kwargs: Any) -> None:
    """Drop the reaches the current request resolved (a set they hold may have changed)."""
    request = audit_context.current().request
    if request is not None:
        request.__dict__.pop(_REACH_ATTRIBUTE, None)


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
    """The people one role reaches through the person row itself."""
    registered_here = Q(registered_by_id=reach.profile.organisation_id)
    if role == Role.CASEWORKER:
        return registered_here
    residents = _any_of("residence_commune_id", reach.units)
    if role == Role.COMMUNE_OFFICER:
        return registered_here | residents
    return residents


def _case_clauses(
    reach: _Reach, roles: frozenset[str], scope: Scope, *, by_residence: bool = True
) -> list[Q]:
    """Return the clauses whose OR is the user's visible cases: grants, then each role's."""
    granted = reach.granted(f"{scope}_case")
    clauses = [_any_of("pk", granted)] if granted else []
    for role in sorted(roles):
        clauses += _case_rule(role, reach, by_residence=by_residence)
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
    return Person.objects.filter(where | Q(Exists(through_case)))


# --- any record that hangs off a person or a case ------------------------------------------


def scope_path(model: type[models.Model]) -> str:
    """Return the foreign-key path from a model to the Person or Case that scopes it.

    People and cases scope themselves (""). Another model names its path in a class
    attribute ``scope_through`` (e.g. ``"episode__case"``), or has a foreign key to Case
    (preferred) or Person, which is used. A model with neither is not scoped here.
    """
    if model in (Person, Case):
        return ""
    declared = getattr(model, "scope_through", None)
    if declared:
        return str(declared)
    for target in (Case, Person):
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is target:
                return field.name
    raise TypeError(f"{model._meta.label} hangs off neither a person nor a case")


def _scope_target(model: type[models.Model]) -> type[Person] | type[Case]:
    """Return Person or Case: where ``scope_path(model)`` ends."""
    if model is Person or model is Case:
        return model
    current: type[models.Model] = model
    for step in scope_path(model).split("__"):
        related = current._meta.get_field(step).related_model
        assert isinstance(related, type)  # noqa: S101  (a path of foreign keys)
        current = related
    if current not in (Person, Case):
        raise TypeError(f"{model._meta.label}.scope_through does not end at Person or Case")
    return current


def is_scoped(model: type[models.Model]) -> bool:
    """Return whether access to the model's rows is decided here."""
    try:
        _scope_target(model)
    except TypeError:
        return False
    return True


def visible[M: models.Model](user: AnyUser, model: type[M], scope: Scope = "view") -> QuerySet[M]:
    """Return the rows of a scoped model the user may view (or change)."""
    if model is Person:
        return cast(QuerySet[M], visible_people(user, scope))
    if model is Case:
        return cast(QuerySet[M], visible_cases(user, scope))
    target = _scope_target(model)
    owners = visible_people(user, scope) if target is Person else visible_cases(user, scope)
    path = scope_path(model)
    rows: QuerySet[M] = model._default_manager.all()
    return limit_to_parts(user, model, rows.filter(Exists(owners.filter(pk=OuterRef(path)))))


def person_id_of(obj: Any) -> Any:
    """Return the id of the person a scoped record concerns (for the audit trail), or None."""
    if isinstance(obj, Person):
        return obj.pk
    if isinstance(obj, Case):
        return obj.person_id
    if not isinstance(obj, models.Model) or not is_scoped(type(obj)):
        return None
    path = scope_path(type(obj))
    if "__" not in path:  # a direct foreign key: no query for a person, one for a case
        owner = getattr(obj, path)
        return owner.pk if isinstance(owner, Person) else getattr(owner, "person_id", None)
    column = path if _scope_target(type(obj)) is Person else f"{path}__person"
    return type(obj)._default_manager.filter(pk=obj.pk).values_list(column, flat=True).first()


def in_scope(user: Any, capability: Capability, obj: Any) -> bool | None:
    """Answer ``can(user, capability, obj)`` for scoped records (None for other objects)."""
    if not isinstance(obj, models.Model) or not is_scoped(type(obj)) or obj.pk is None:
        return None
    return visible(user, type(obj), capability.scope).filter(pk=obj.pk).exists()


# --- fetch one, or deny ---------------------------------------------------------------------


def _deny(user: AnyUser, kind: str, object_id: Any, scope: Scope) -> None:
    # Only ids go into the log and the event: never a name or identifier of the person.
    logger.warning(
        "access denied: user=%s perm=%s %s=%s", getattr(user, "pk", None), scope, kind, object_id
    )
    audit.record(
        actor=user, action=CaseAction.DENIED, object_type=kind, object_id=object_id,
        detail={"perm": scope},
    )  # fmt: skip


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
) -> M:
    """Return the row if the user holds ``scope`` on it (recording the read), else record the
    denial and answer 404.

    Actions pass ``record_read=False``: they record the write they make instead. Pass
    ``queryset`` (from ``visible``) to add ``select_related`` and the like.
    """
    allowed = queryset if queryset is not None else visible(user, model, scope)
    kind = model._meta.model_name or model.__name__.lower()
    try:
        found = allowed.filter(pk=object_id).first()
    except (ValueError, TypeError, ValidationError):  # a malformed id: as unknown as any
        found = None
    if found is None or not record_shown(user, found):
        _deny(user, kind, object_id, scope)
        raise Http404
    if record_read:
        person_id = person_id_of(found)
        detail: dict[str, object] = {"perm": scope}
        grant = _note_emergency(user, person_id)
        if grant is not None:
            detail["emergency_access"] = str(grant.pk)
        audit.record(
            actor=user, action=_READ_ACTION.get(model, CaseAction.RECORD_READ), obj=found,
            person_id=person_id, detail=detail,
        )  # fmt: skip
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


# --- figures ------------------------------------------------------------------------------


def figures_unit(user: AnyUser) -> AdministrativeUnit | None:
    """Return the unit whose figures the user may see (their scope unit), or None."""
    profile = profile_of(user)
    if profile is None or not can(user, caps.FIGURES_VIEW):
        return None
    return profile.scope_unit


def figures_people(user: AnyUser) -> QuerySet[Person]:
    """Return the people aggregate figures may count for the user: those resident in the
    user's scope unit and below. Grants (one by one, emergency) never widen it."""
    unit = figures_unit(user)
    if unit is None:
        return Person.objects.none()
    return Person.objects.filter(residence_commune_id__in=_units_under(unit))


def figures_cases(user: AnyUser) -> QuerySet[Case]:
    """Return the cases aggregate figures may count: of people resident in the scope unit."""
    unit = figures_unit(user)
    if unit is None:
        return Case.objects.none()
    return Case.objects.filter(residence_commune_id__in=_units_under(unit))


# --- choice lists and masking ----------------------------------------------------------------


def case_organisations(user: AnyUser) -> QuerySet[Organisation]:
    """Return the organisations the user may open or hold cases for: their own."""
    profile = profile_of(user)
    if profile is None or not can(user, caps.CASE_ADD):
        return Organisation.objects.none()
    return Organisation.objects.filter(pk=profile.organisation_id, is_active=True)


def assignable_staff(organisations: QuerySet[Organisation]) -> QuerySet[User]:
    """Return the active staff of these organisations whose role may hold a case."""
    return (
        User.objects.filter(
            is_active=True,
            staff__organisation__in=organisations,
            groups__name__in=sorted(capabilities.holders(caps.CASE_CHANGE)),
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def masks_victims(user: AnyUser) -> bool:
    """Return whether lists shown to the user hide returned trafficking victims' identities."""
    return has_role(user, Role.SUPERVISOR)


def victim_person_ids(people: list[UUID]) -> set[UUID]:
    """Return which of these people have a returned-trafficking-victim case."""
    return set(
        Case.objects.filter(
            person_id__in=people, category=ClientCategory.TRAFFICKING_VICTIM
        ).values_list("person_id", flat=True)
    )


# --- emergency-access reviews ----------------------------------------------------------------


def reviewable_emergency_accesses(user: AnyUser) -> QuerySet[EmergencyAccess]:
    """Return the emergency accesses the user reviews: all for an auditor; for a supervisor,
    those by staff of, or about people living in, their scope unit's subtree."""
    profile = profile_of(user)
    if profile is None or not can(user, caps.EMERGENCY_REVIEW):
        return EmergencyAccess.objects.none()
    if has_role(user, Role.AUDITOR):
        return EmergencyAccess.objects.all()
    scope = profile.scope_unit
    return EmergencyAccess.objects.filter(
        scope.subtree_q("user__staff__organisation__unit__")
        | scope.subtree_q("person__residence_commune__")
    )


def get_emergency_access_for_review(user: AnyUser, access_id: UUID) -> EmergencyAccess:
    """Return an emergency access the user reviews, else record a denial and 404."""
    found = reviewable_emergency_accesses(user).filter(pk=access_id).first()
    if found is None:
        _deny(user, "emergencyaccess", access_id, "change")
        raise Http404
    return found


capabilities.register_object_check(in_scope)


# --- parts of a case (minimum necessary) ------------------------------------------------------


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


def _rule_where(reach: _Reach, roles: frozenset[str]) -> Q:
    """Return the OR of the roles' case rules, without any one-by-one grant."""
    where = Q()
    for role in sorted(roles):
        for clause in _case_rule(role, reach):
            where |= clause
    return where


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
_record_parts: dict[type[models.Model], str] = {}


def register_record_part(model: type[models.Model], part: str) -> None:
    """Say which part of a case (a ``referrals.models.Part`` code, or ANY_PART) a model is."""
    _record_parts[model] = part


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
    if part is None:
        part = _record_parts.get(model, "")
    parts = parts_by_case(user, list(granted))
    hidden = [case_id for case_id, shown in parts.items() if not _part_shown(shown, part)]
    if not hidden:
        return rows
    keep = ~Q(**{f"{scope_path(model)}__in": hidden})
    own = _own_rows.get(model)
    if own is not None:
        keep |= own(user, profile)
    return rows.filter(keep)


def record_shown(user: AnyUser, record: models.Model) -> bool:
    """Return whether the user may read this record of a case they see (minimum necessary)."""
    model = type(record)
    if model in (Person, Case):
        return True
    return limit_to_parts(user, model, model._default_manager.filter(pk=record.pk)).exists()


def require_whole_person(user: AnyUser, person: Person) -> None:
    """Refuse (denial event, 404) a page that shows all of a person's record, such as its
    change history, to a user who sees only the parts a referral shared."""
    if not isinstance(person_parts_visible(user, person), AllParts):
        audit.record(
            actor=user, action=CaseAction.DENIED, obj=person, detail={"perm": "view_whole"}
        )
        raise Http404
