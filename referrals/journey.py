"""The facts of a referral's journey that the workflow's rules read: its steps and the
receivers it still opens the case to (ids only, no content).

Below ``workflow``, which imports it, so the state machine needs no deferred import of the
selectors (which stand on the workflow).
"""

from __future__ import annotations

from .models import AccessKind, Referral, ReferralAccess, ReferralStep


def step_actors(referral: Referral) -> list[tuple[str, int]]:
    """Return the referral's steps as (action, actor id), in order: the workflow's journey."""
    rows = ReferralStep.objects.filter(referral_id=referral.pk).order_by("at")
    return [(action, actor) for action, actor in rows.values_list("action", "actor_id")]


def receivers_with_access(referral: Referral) -> set[int]:
    """Return the users the referral still opens the case to as receivers (not ended)."""
    rows = ReferralAccess.objects.filter(
        referral_id=referral.pk, kind=AccessKind.RECEIVER, ended_at__isnull=True
    )
    return set(rows.values_list("user_id", flat=True))
