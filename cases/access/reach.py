"""The user's reach: their staff profile, content roles and the sets their rules compare
against (units under the scope unit, organisations there, live one-by-one grants), read in one
statement and kept on the request (decision D25)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any
from uuid import UUID

from django.contrib.auth.models import Permission
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F, Lookup, Q
from django.db.models.lookups import In
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from accounts import capabilities
from accounts.capabilities import Scope, roles_of
from accounts.models import AnyUser as AnyUser  # the acting user's type, for access
from accounts.models import User
from audit import context as audit_context

from .. import capabilities as caps
from ..choices import Role
from ..models import (
    AdministrativeUnit,
    CaseUserObjectPermission,
    Move,
    Organisation,
    PersonUserObjectPermission,
    StaffProfile,
)


def profile_of(user: AnyUser) -> StaffProfile | None:
    """Return the active user's staff profile, or None for anyone without one."""
    if not isinstance(user, User) or not user.is_active:
        return None
    try:
        return user.staff
    except StaffProfile.DoesNotExist:
        return None


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
    # People who moved out of the scope's communes, whose hand-over the new commune accepted
    # less than HOA_NHAP_MOVE_READ_DAYS ago: the old commune still reads them (D50).
    moved_out: tuple[UUID, ...] = ()
    # Every person whose move out of the scope's communes was accepted, read period over or
    # not: the old commune's "registered here" rule no longer reaches them (D50).
    moved_away: tuple[UUID, ...] = ()
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
# A move's ``read_until`` is set on acceptance: a pending move needs no row (the person still
# lives in the old commune). Each accepted move out of the scope's communes is one row:
# 'moved_out' while the old commune still reads the person, 'moved_away' after.
_MOVED_OUT_SQL = (
    "SELECT CASE WHEN m.read_until > %s THEN 'moved_out' ELSE 'moved_away' END, "
    "CAST(m.person_id AS TEXT) FROM {move} m "
    "JOIN {unit} u ON u.id = m.from_commune_id WHERE u.path LIKE %s ESCAPE '\\' "
    "AND m.read_until IS NOT NULL"
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
        "move": q(Move._meta.db_table),
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
    if roles & {Role.COMMUNE_OFFICER, Role.SUPERVISOR}:
        parts.append((_MOVED_OUT_SQL.format(**tables), [now, like]))
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
    moved_out: list[UUID] = []
    moved_away: list[UUID] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, text in cursor.fetchall():
            if kind == "unit":
                units += [int(i) for i in text.split(",")] if text else []
            elif kind == "organisation":
                organisations += [UUID(i) for i in text.split(",")] if text else []
            elif kind == "moved_out":
                moved_out.append(UUID(text))
                moved_away.append(UUID(text))
            elif kind == "moved_away":
                moved_away.append(UUID(text))
            else:
                grants.setdefault(kind, []).append(UUID(text))
    frozen = {codename: tuple(ids) for codename, ids in grants.items()}
    return _Reach(
        user,
        profile,
        tuple(units),
        tuple(organisations),
        frozen,
        tuple(dict.fromkeys(moved_out)),
        tuple(dict.fromkeys(moved_away)),
    )


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


def reach_fingerprint(user: AnyUser, scope: Scope = "view", *, moves: bool = True) -> str:
    """Return a digest of everything the user's rules compare rows against: profile, content
    roles and the resolved sets (units, organisations, live grants, moves out and their read
    periods). It changes whenever what the user may see can change with no row they see
    changing (a role or scope edited, a grant given, taken or expired, a read period over):
    the API's sync resyncs a client then (decision D59). Read afresh, never from the request.
    With ``moves=False`` the moves are left out: sync follows them person by person
    (``reach_sync``).
    """
    return reach_sync(user, scope, moves=moves)[0]


def reach_sync(
    user: AnyUser, scope: Scope = "view", *, moves: bool = False
) -> tuple[str, frozenset[UUID]]:
    """Return the reach's fingerprint (with or without the moves) and the people read
    through a move out's read period, from one read of the reach (sync, D59)."""
    profile, roles = _content_roles(user, scope)
    if profile is None or not roles:
        return "none", frozenset()
    assert isinstance(user, User)  # noqa: S101  (profile_of returned a profile)
    reach = _resolve_reach(user, profile, roles)
    parts: list[Any] = [
        str(profile.organisation_id),
        str(profile.scope_unit_id),
        sorted(roles),
        sorted(reach.units),
        sorted(str(pk) for pk in reach.organisations),
        sorted((code, sorted(str(pk) for pk in ids)) for code, ids in reach.grants.items()),
    ]
    if moves:
        parts += [
            sorted(str(pk) for pk in reach.moved_out),
            sorted(str(pk) for pk in reach.moved_away),
        ]
    return hashlib.sha256(repr(parts).encode()).hexdigest(), frozenset(reach.moved_out)


@receiver(post_save, sender=AdministrativeUnit, dispatch_uid="reach_units_saved")
@receiver(post_delete, sender=AdministrativeUnit, dispatch_uid="reach_units_deleted")
@receiver(post_save, sender=Organisation, dispatch_uid="reach_orgs_saved")
@receiver(post_delete, sender=Organisation, dispatch_uid="reach_orgs_deleted")
@receiver(post_save, sender=Move, dispatch_uid="reach_move_saved")
@receiver(post_save, sender=CaseUserObjectPermission, dispatch_uid="reach_case_grant_saved")
@receiver(post_delete, sender=CaseUserObjectPermission, dispatch_uid="reach_case_grant_gone")
@receiver(post_save, sender=PersonUserObjectPermission, dispatch_uid="reach_person_grant_saved")
@receiver(post_delete, sender=PersonUserObjectPermission, dispatch_uid="reach_person_grant_gone")
def forget_reach(**kwargs: Any) -> None:
    """Drop the reaches the current request resolved (a set they hold may have changed)."""
    request = audit_context.current().request
    if request is not None:
        request.__dict__.pop(_REACH_ATTRIBUTE, None)
