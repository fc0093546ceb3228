"""Which requests to close a case a user may decide (D45)."""

from __future__ import annotations

from django.db.models import CharField, F, QuerySet, Value

from accounts.capabilities import can, holders
from accounts.models import User, is_account

from ..models import CaseClosure
from .reach import AnyUser, profile_of


def closures_to_decide(user: AnyUser) -> QuerySet[CaseClosure]:
    """Return the pending closing requests the user may approve or refuse.

    A supervisor decides those of cases held by an organisation in their own scope unit's
    subtree (the holder's supervisor, not whoever can see the person), and never a request
    they made themselves (a user with a caseworker's and a supervisor's role).
    """
    profile = profile_of(user)
    if not is_account(user) or profile is None or not can(user, "caseclosure.decide"):
        return CaseClosure.objects.none()
    path = profile.scope_unit.path
    return (
        CaseClosure.objects.filter(status="pending")
        .filter(case__organisation__unit__path__startswith=path)
        .exclude(requested_by=user)
    )


def closure_deciders(closure: CaseClosure) -> list[User]:
    """Return the users who may decide this pending closing request (to tell them it waits).

    The inverse of ``closures_to_decide``: active users holding a role that decides, whose
    scope unit holds the case's organisation; each candidate is then asked the rule itself,
    so the two never disagree (and the asker is never among them). The first filter only
    keeps that to a few questions (``test_closure_deciders_ask_only_the_area_s_supervisors``).
    """
    holder_path = Value(closure.case.organisation.unit.path, output_field=CharField())
    candidates = (
        User.objects.filter(
            is_active=True,
            is_service_account=False,  # a machine is never told a request waits
            groups__name__in=sorted(holders("caseclosure.decide")),
        )
        # Scoped to a unit that holds the case's organisation: its path starts the holder's.
        .annotate(holder_path=holder_path)
        .filter(holder_path__startswith=F("staff__scope_unit__path"))
        .exclude(pk=closure.requested_by_id)
        .distinct()
        .order_by("pk")
    )
    return [user for user in candidates if closures_to_decide(user).filter(pk=closure.pk).exists()]
