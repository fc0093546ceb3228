"""Writes of the facility registry: checked against the writer's area, saved through the
shared save step (validation, version check, history user, event) in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from accounts.capabilities import can
from accounts.models import AnyUser, account_of
from audit.editing import save_edit
from cases import access
from core.editing import OVERRIDE, IfVersion
from services.models import ServiceType

from . import selectors
from .capabilities import FACILITY_CHANGE
from .events import FacilityAction
from .models import ChecklistItem, ConditionReview, FacilityProfile, ItemResult, Overall, ReviewItem


def _check_place(actor: AnyUser, profile: FacilityProfile) -> None:
    """Refuse a commune outside the organisation's unit or the writer's area (a forged id)."""
    communes = selectors.communes_of(profile.organisation, actor)
    if not communes.filter(pk=profile.commune_id).exists():
        raise ValidationError({"commune": _("Choose a commune of the organisation's area.")})


def profile_save(
    *,
    actor: AnyUser,
    profile: FacilityProfile,
    services: Iterable[ServiceType] | None = None,
    if_version: IfVersion = OVERRIDE,
) -> FacilityProfile:
    """Add a facility profile to an organisation of the actor's area, or change one the
    actor may change (refused with a denial and 404 otherwise); ``services``: the catalogue
    services offered (None: unchanged)."""
    adding = profile._state.adding
    if adding:
        if not can(actor, FACILITY_CHANGE):
            access.deny(
                actor,
                FACILITY_CHANGE,
                object_type="organisation",
                object_id=str(profile.organisation_id),
            )
            raise PermissionDenied
        allowed = selectors.organisations_to_profile(actor)
        if not allowed.filter(pk=profile.organisation_id).exists():
            raise ValidationError({"organisation": _("Choose an organisation of your area.")})
    else:
        selectors.facility_for_user(actor, profile.pk, "change")
    offered = None if services is None else list(services)
    detail = {
        "organisation": str(profile.organisation_id),
        "commune": profile.commune_id,
        "capacity": profile.capacity,
        "capacity_unit": profile.capacity_unit,
        "published": profile.published,
    }
    if offered is not None:
        detail["services"] = sorted(s.code for s in offered)
    with transaction.atomic():
        saved = save_edit(
            actor=actor,
            instance=profile,
            action=FacilityAction.PROFILE_ADDED if adding else FacilityAction.PROFILE_CHANGED,
            if_version=if_version,
            checks=[lambda p: _check_place(actor, p)],
            detail=detail,
        )
        if offered is not None:
            saved.services.set(offered)
    return saved


@dataclass(frozen=True)
class Answer:
    """A review's answer to one checklist item."""

    item: ChecklistItem
    result: str
    note: str = ""


def _check_answers(review: ConditionReview, answers: Sequence[Answer]) -> None:
    items = set(review.checklist.items.values_list("pk", flat=True))
    given = [a.item.pk for a in answers]
    if sorted(map(str, given)) != sorted(map(str, items)):
        raise ValidationError(_("Answer every condition of the checklist, once."))
    if review.overall == Overall.MEETS and any(a.result == ItemResult.NOT_MET for a in answers):
        raise ValidationError(
            {"overall": _("A facility with a condition not met does not meet the conditions.")}
        )


def review_record(
    *, actor: AnyUser, review: ConditionReview, answers: Sequence[Answer]
) -> ConditionReview:
    """Record a review of a facility the actor may review (refused with a denial and 404
    otherwise), with its answer to every item of its checklist."""
    facility = selectors.facility_for_user(actor, review.facility_id, "review")
    review.facility = facility
    review.recorded_by = account_of(actor)
    with transaction.atomic():
        saved = save_edit(
            actor=actor,
            instance=review,
            action=FacilityAction.REVIEW_ADDED,
            if_version=OVERRIDE,
            checks=[lambda r: _check_answers(r, answers)],
            detail={
                "facility": str(facility.pk),
                "reviewed_on": review.reviewed_on.isoformat(),
                "checklist": review.checklist.code,
                "overall": review.overall,
                "not_met": sorted(a.item.number for a in answers if a.result == ItemResult.NOT_MET),
            },
        )
        rows = [
            ReviewItem(review=saved, item=a.item, result=a.result, note=a.note) for a in answers
        ]
        for row in rows:
            row.full_clean(exclude=["review"])
        bulk_create_with_history(rows, ReviewItem, default_user=account_of(actor))
    return saved
