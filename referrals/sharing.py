"""What a referral opens to its receiver: the parts of the case, and the timeline entries.

``cases.access.parts_visible`` asks ``parts_for`` (registered in ``ready()``) which parts a
user's live referral accesses open on a case, so ``cases`` never imports ``referrals``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases import access, timeline

from . import selectors
from .models import AccessKind, Referral, ReferralAccess, State


def parts_for(user: User, case_id: UUID) -> access.Parts:
    """Return the parts of the case the user's live referral accesses open."""
    rows = ReferralAccess.objects.filter(
        user=user,
        referral__case_id=case_id,
        ended_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).values_list("kind", "referral__parts", "referral__state")
    found: set[str] = set()
    for kind, parts, state in rows:
        if kind == AccessKind.FORMER_HOLDER:
            return access.ALL  # it held the whole case; it reads it a while longer
        if state == State.ACCEPTED:
            found |= set(parts or ())
    return frozenset(found)


def timeline_entries(
    viewer: access.AnyUser, case_ids: list[Any], limit: int
) -> Iterable[timeline.Entry]:
    """Yield the referrals of the cases, transfers (the hand-over) included, each linked to its
    page only if the viewer may open it. A viewer who sees a case only through referrals sees
    only the referrals they may open: not where else the person was referred."""
    whole, opened = _whole_and_opened(viewer, case_ids)
    rows = list(
        Referral.objects.filter(Q(case_id__in=whole) | Q(pk__in=opened))
        .select_related("service_type", "to_organisation", "from_organisation")
        .order_by("-created_at")[:limit]
    )
    # The rows of part-limited cases were admitted by the same rule; test only the others.
    linked = opened | selectors.openable(viewer, [r.pk for r in rows if r.pk not in opened])
    for row in rows:
        url = reverse("referrals:referral_detail", args=[row.pk]) if row.pk in linked else ""
        kind = _("Transfer of the case") if row.service_type.transfers_case else _("Referral")
        yield timeline.Entry(
            on=row.answered_on or row.sent_on or row.created_at.date(),
            kind=kind,
            title=f"{row.service_type.name}: {row.from_organisation} → {row.to_organisation}",
            url=url,
            status=row.get_state_display(),
        )


def _whole_and_opened(viewer: access.AnyUser, case_ids: list[Any]) -> tuple[list[Any], set[UUID]]:
    """Return the cases the viewer sees whole, and the referrals the viewer may open among
    those of the other (part-limited) cases."""
    parts = access.parts_by_case(viewer, case_ids)
    whole = [case_id for case_id in case_ids if isinstance(parts[case_id], access.AllParts)]
    partial = [case_id for case_id in case_ids if case_id not in set(whole)]
    if not partial:
        return whole, set()
    ids = list(Referral.objects.filter(case_id__in=partial).values_list("pk", flat=True))
    return whole, selectors.openable(viewer, ids)


def register_record_parts() -> None:
    """Say which part of a case the referral records are, for a viewer who sees the case
    only through referrals: a consent names a guardian, so it is identity; referrals and
    their steps only those addressed to the viewer's organisation; accesses only their own."""
    from django.db.models import Q

    from .models import Consent, ReferralStep

    access.register_record_part(Consent, "identity")
    access.register_own_rows(
        Referral, lambda user, profile: Q(to_organisation_id=profile.organisation_id)
    )
    access.register_own_rows(
        ReferralStep, lambda user, profile: Q(referral__to_organisation_id=profile.organisation_id)
    )
    access.register_own_rows(ReferralAccess, lambda user, profile: Q(user_id=user.pk))
