"""Decide which accounts may be one person, for dual control (ASVS 8.1 / 1.2).

An administrator who creates an account may hold it: unless the account was activated with
a code that a second person handed over (``accounts.Invitation``), its creator is taken to
control it. A person and every account they control (their "family": the accounts made by
the same controlling creator, transitively) count as one person: none of them approves a
role for another, nor a request another made. An account also never approves for whoever
created or approved it, up the chain.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import Invitation, User

from .models import RoleChangeRequest


def _controlled() -> QuerySet[User]:
    """Return the accounts whose creator may hold them (not activated by a second person)."""
    activated = Invitation.objects.filter(
        user=OuterRef("pk"), used_at__isnull=False, code_issued_by__isnull=False
    )
    return User.objects.filter(created_by__isnull=False).exclude(Exists(activated))


def _closure(start: Iterable[int], step: str) -> set[int]:
    seen = set(start)
    frontier = set(seen)
    while frontier:
        if step == "up":
            found = set(
                _controlled().filter(pk__in=frontier).values_list("created_by_id", flat=True)
            )
        elif step == "down":
            found = set(_controlled().filter(created_by__in=frontier).values_list("pk", flat=True))
        else:  # "vouch": who created (and may hold) or approved a role for these accounts
            found = set(
                _controlled().filter(pk__in=frontier).values_list("created_by_id", flat=True)
            ) | set(
                RoleChangeRequest.objects.filter(
                    user__in=frontier, status=RoleChangeRequest.Status.APPROVED
                ).values_list("decided_by_id", flat=True)
            )
        frontier = {pk for pk in found if pk is not None} - seen
        seen |= frontier
    return seen


def family(user: User) -> set[int]:
    """Return the accounts that may be held by the same person as this one (itself included):
    its controlling creators up the chain and every account they made, transitively."""
    return _closure(_closure({user.pk}, "up"), "down")


def blocked_requesters(approver: User) -> set[int]:
    """Return whose requests this account may never approve: its family, and every account
    that created or approved it, up the chain."""
    return family(approver) | _closure({approver.pk}, "vouch")


def same_person(approver: User, *others: User | None) -> bool:
    """Return whether any of ``others`` may be the approver (one chain of one person)."""
    blocked = blocked_requesters(approver)
    return any(other is not None and other.pk in blocked for other in others)
