"""Decide who may see, change or add which people, cases and records hanging off them.

The one place that does. Every view, form choice list, search, export and report reaches
scoped records through this package, always as ``from cases import access``:

- ``visible(user, Model, scope)``: the rows of any scoped model the user may view or change
  (people, cases, and any model with a foreign-key path to one of them, ``scope_path``);
- ``get_for_user(user, Model, pk, scope)``: fetch one, recording the read (an event naming
  the person) or the denial (then 404, so existence does not leak); ``deny`` records any
  other refusal the same way;
- ``can(user, capability, obj)`` (from ``accounts.capabilities``): the verb check, which asks
  ``in_scope`` below for an object;
- ``figures_people`` / ``figures_cases``: what aggregate figures may count, by the user's
  administrative unit only, never widened by one-by-one or emergency grants.

Each rule is written so that an indexed predicate (primary key, blind index, organisation,
unit) can run first and the rule is plain indexed comparisons, or a correlated ``EXISTS``
probe, per candidate row: cost stays flat as the tables grow.

Roles come from the user's groups (``accounts.capabilities.roles_of``); scope from the staff
profile; one-by-one grants (a referral's acceptance, an emergency access) from guardian's
direct-FK tables, honouring their expiry (decision D32 says which part is guardian's).

The modules, each on the ones above it:

- ``reach``: the user's profile, content roles and resolved sets, kept per request;
- ``rules``: the roles' rules over case and person rows, ``visible_cases``/``visible_people``;
- ``paths``: which person or case scopes a model (``scope_path``);
- ``parts``: what grants open of a case (minimum necessary), the identity rule;
- ``records``: ``visible`` for any scoped model, ``person_id_of``, ``in_scope``;
- ``fetch``: ``get_for_user`` and its kin, ``deny``;
- ``figures``, ``lists``, ``emergency``: figures' scope, choice lists and masking, reviews.
"""

from accounts import capabilities
from accounts.capabilities import can, has_role, roles_of

from .closures import closure_deciders, closures_to_decide
from .emergency import get_emergency_access_for_review, reviewable_emergency_accesses
from .fetch import (
    deny,
    get_case_for_user,
    get_for_user,
    get_person_for_user,
    require_whole_person,
)
from .figures import figures_cases, figures_people, figures_unit
from .lists import assignable_staff, case_organisations, masks_victims, victim_person_ids
from .parts import (
    ALL,
    ANY_PART,
    WHOLE_CASE,
    AllParts,
    OwnRows,
    Parts,
    PartsSource,
    RowPart,
    identity_hidden,
    identity_shown,
    limit_to_parts,
    parts_by_case,
    parts_visible,
    person_parts_visible,
    record_part_of,
    record_shown,
    register_own_rows,
    register_parts,
    register_record_part,
)
from .paths import _scope_target, is_scoped, scope_path
from .reach import (
    AnyOf,
    AnyUser,
    _array_text,
    forget_reach,
    profile_of,
    reach_fingerprint,
    reach_sync,
)
from .records import in_scope, people_and_cases_of, people_of_cases, person_id_of, visible
from .rules import visible_case_parts, visible_cases, visible_people

__all__ = [
    "closure_deciders",
    "closures_to_decide",
    "ALL",
    "ANY_PART",
    "AllParts",
    "AnyOf",
    "RowPart",
    "WHOLE_CASE",
    "AnyUser",
    "OwnRows",
    "Parts",
    "PartsSource",
    "_array_text",
    "_scope_target",
    "assignable_staff",
    "can",
    "case_organisations",
    "deny",
    "figures_cases",
    "figures_people",
    "figures_unit",
    "forget_reach",
    "get_case_for_user",
    "get_emergency_access_for_review",
    "get_for_user",
    "get_person_for_user",
    "has_role",
    "identity_hidden",
    "identity_shown",
    "in_scope",
    "is_scoped",
    "limit_to_parts",
    "masks_victims",
    "parts_by_case",
    "parts_visible",
    "person_id_of",
    "people_and_cases_of",
    "people_of_cases",
    "person_parts_visible",
    "profile_of",
    "reach_fingerprint",
    "reach_sync",
    "record_part_of",
    "record_shown",
    "register_own_rows",
    "register_parts",
    "register_record_part",
    "require_whole_person",
    "reviewable_emergency_accesses",
    "roles_of",
    "scope_path",
    "victim_person_ids",
    "visible",
    "visible_case_parts",
    "visible_cases",
    "visible_people",
]

capabilities.register_object_check(in_scope)
