"""Which requests to close a case a user may decide (D45)."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.capabilities import can
from accounts.models import is_account

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
