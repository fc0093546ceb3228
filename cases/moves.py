"""A person who changes residence: the move, its hand-over to the new commune and the reads
around it (issue 30 part 1, D50, ``docs/moves.md``).

- ``move_record``: staff who may change the person (a commune officer or caseworker in
  scope) record the new commune, the day and who said so. Nothing moves yet: the new
  commune's officers (and the commune police) are notified and have 24 hours to accept.
- ``move_accept``: a commune officer of the new commune accepts. In one transaction the
  person's commune changes (residence history, the cases' copies), the open cases held by
  an organisation of the old commune pass to the accepting officer's organisation through
  ``cases.actions.case_transfer`` (the transfer path), the open follow-up items (due list,
  post-rehab period) of the old commune's staff pass to the accepting officer, and the old
  commune reads the person for ``HOA_NHAP_MOVE_READ_DAYS`` (``cases.access``, the
  ``moved_out`` rule).
- Who plays a part in a move (``move_parties``): the *sender* side (whoever may view the
  person, or the recording organisation's staff) and the *receiver* (a commune officer whose
  scope holds the new commune). Anyone else: 404 and a ``denied`` event.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.capabilities import roles_of
from accounts.models import User
from audit import actions as audit
from audit.editing import save_edit
from core.editing import OVERRIDE
from notifications import actions as notifications
from notifications import verbs

from . import access, dues, residence
from . import capabilities as caps
from .actions import _copy_residence, case_transfer
from .choices import Role, UnitLevel
from .events import CaseAction
from .models import AdministrativeUnit, Case, Organisation, Person, StaffProfile
from .move_models import Move, MoveState, ResidenceSource

MOVE_VERB = verbs.register("move_handover", gettext_lazy("A person moved to your commune"))
MOVE_ACCEPTED_VERB = verbs.register(
    "move_accepted", gettext_lazy("The new commune accepted a person who moved")
)
POLICE_TYPE = "police"  # the organisation type of a commune's police (data, migration 0002)


def answer_hours() -> int:
    return max(1, int(getattr(settings, "MOVE_ANSWER_HOURS", 24)))


def read_days() -> int:
    return max(1, int(getattr(settings, "MOVE_READ_DAYS", 90)))


# --- what passes to the new commune ------------------------------------------------------


@dataclass(frozen=True)
class HandedOver:
    """A record type whose open rows name a responsible staff member: on acceptance, rows of
    the person's cases whose responsible works for the old commune pass to the new one."""

    model: type[models.Model]
    field: str
    open: Q


_handed_over: list[HandedOver] = []


def register_handed_over(model: type[models.Model], *, field: str, open: Q) -> None:
    """Add a record type whose open rows follow the person to the new commune (an app's
    ``ready()``: the post-rehab period's officer). The due list's types are in already."""
    item = HandedOver(model, field, open)
    if item not in _handed_over:
        _handed_over.append(item)


def _handed_over_types() -> list[HandedOver]:
    found = [HandedOver(s.model, s.responsible_field, s.open) for s in dues._sources]
    return [*found, *(item for item in _handed_over if item not in found)]


# --- who is who ----------------------------------------------------------------------------


def _is_receiver(user: access.AnyUser, move: Move) -> bool:
    """A commune officer whose scope holds the new commune."""
    profile = access.profile_of(user)
    if profile is None or Role.COMMUNE_OFFICER not in roles_of(user):
        return False
    return move.to_commune.path.startswith(profile.scope_unit.path)


def move_parties(user: access.AnyUser, move: Move) -> set[str]:
    """Return the parts the user plays in the move: ``sender`` and/or ``receiver``."""
    parties: set[str] = set()
    profile = access.profile_of(user)
    if profile is None:
        return parties
    if _is_receiver(user, move):
        parties.add("receiver")
    # The old side while it may still read the whole person (until the read period ends):
    # a parts-limited receiver of a referral plays no part.
    if access.visible_people(user).filter(pk=move.person_id).exists() and isinstance(
        access.person_parts_visible(user, move.person), access.AllParts
    ):
        parties.add("sender")
    return parties


def get_move_for_user(user: access.AnyUser, move_id: UUID) -> Move:
    """Return a move the user plays a part in (recording the read), or deny and 404."""
    move = (
        Move.objects.select_related("person", "from_commune", "to_commune", "from_organisation")
        .filter(pk=move_id)
        .first()
    )
    if move is None or not move_parties(user, move):
        access.deny(user, "view_move", object_type="move", object_id=move_id)
        raise Http404
    audit.record(actor=user, action=CaseAction.MOVE_READ, obj=move, person_id=move.person_id)
    return move


def handover_queue(user: access.AnyUser) -> QuerySet[Move]:
    """Return the moves waiting for the user's communes (a commune officer's queue),
    the overdue first."""
    profile = access.profile_of(user)
    if profile is None or Role.COMMUNE_OFFICER not in roles_of(user):
        return Move.objects.none()
    return (
        Move.objects.filter(
            state=MoveState.PENDING, to_commune__path__startswith=profile.scope_unit.path
        )
        .select_related("person", "from_commune", "to_commune")
        .order_by("due_at", "pk")
    )


def handover_queue_read(user: access.AnyUser) -> list[Move]:
    """Return the queue as a list, recording that it was read (ids only)."""
    moves = list(handover_queue(user))
    if moves:
        audit.record(
            actor=user,
            action=CaseAction.MOVE_QUEUE_READ,
            detail={"moves": [str(move.pk) for move in moves]},
        )
    return moves


def handover_count(user: access.AnyUser) -> tuple[int, int]:
    """Return how many moves wait for the user's communes, and how many are overdue."""
    queue = handover_queue(user)
    return queue.count(), queue.filter(due_at__lt=timezone.now()).count()


def moves_sent(user: access.AnyUser) -> QuerySet[Move]:
    """Return the moves the user's organisation recorded, still waiting or recently
    accepted (the sender's view)."""
    profile = access.profile_of(user)
    if profile is None:
        return Move.objects.none()
    since = timezone.now() - timedelta(days=30)
    return (
        Move.objects.filter(from_organisation_id=profile.organisation_id)
        .filter(Q(state=MoveState.PENDING) | Q(accepted_at__gte=since))
        .filter(person_id__in=access.visible_people(user).values("pk"))
        .select_related("person", "from_commune", "to_commune")
        .order_by("-recorded_at", "pk")
    )


def person_moves(*, person: Person) -> list[Move]:
    """Return the moves of a person the caller fetched through ``cases.access``."""
    return list(
        Move.objects.filter(person_id=person.pk)
        .select_related("from_commune", "to_commune")
        .order_by("-recorded_at")
    )


def destination_communes() -> QuerySet[AdministrativeUnit]:
    """Return the communes a person may move to: any active commune of the country."""
    return AdministrativeUnit.objects.filter(level=UnitLevel.COMMUNE, is_active=True)


def _recipients(commune: AdministrativeUnit) -> list[User]:
    """Return the new commune's officers (social officers and the commune police)."""
    profiles = (
        StaffProfile.objects.filter(user__is_active=True, user__is_service_account=False)
        .filter(
            Q(scope_unit=commune)
            & (Q(role=Role.COMMUNE_OFFICER) | Q(second_role=Role.COMMUNE_OFFICER))
            | Q(organisation__unit=commune, organisation__type__code=POLICE_TYPE)
        )
        .select_related("user")
    )
    return [profile.user for profile in profiles]


# --- writes --------------------------------------------------------------------------------


def move_record(
    *,
    actor: access.AnyUser,
    person_id: UUID,
    to_commune: AdministrativeUnit,
    moved_on: datetime.date,
    source: str,
) -> Move:
    """Record that a person moved to another commune and hand it over: the new commune's
    officers are notified and have 24 hours to accept."""
    person = access.get_person_for_user(actor, person_id, "change", record_read=False)
    profile = access.profile_of(actor)
    if profile is None or not isinstance(actor, User):  # a profile is there: it answered
        raise Http404
    errors: dict[str, str] = {}
    if to_commune.level != UnitLevel.COMMUNE or not to_commune.is_active:
        errors["to_commune"] = _("Choose a commune of the current map.")
    elif to_commune.pk == person.residence_commune_id:
        errors["to_commune"] = _("The person already lives in this commune.")
    if moved_on > timezone.localdate():
        errors["moved_on"] = _("A move cannot be dated in the future.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    move = Move(
        person=person,
        from_commune_id=person.residence_commune_id,
        to_commune=to_commune,
        moved_on=moved_on,
        source=source,
        from_organisation_id=profile.organisation_id,
        recorded_by=actor,
        recorded_at=now,
        due_at=now + timedelta(hours=answer_hours()),
    )
    move.full_clean(exclude=["person"])
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=person.pk).first()
        if Move.objects.filter(person_id=person.pk, state=MoveState.PENDING).exists():
            raise ValidationError(
                _("A move of this person already waits for the new commune's answer.")
            )
        move.save()
        audit.record(
            actor=actor,
            action=CaseAction.MOVE_RECORDED,
            obj=move,
            person_id=person.pk,
            detail={
                "from": person.residence_commune_id,
                "to": to_commune.pk,
                "due_at": move.due_at.isoformat(),
            },
        )
        notifications.notify(
            actor=actor if isinstance(actor, User) else None,
            recipients=_recipients(to_commune),
            verb=MOVE_VERB,
            text=_("A person moved to your commune: accept the hand-over within %(hours)s hours")
            % {"hours": answer_hours()},
            url=reverse("cases:move_detail", args=[move.pk]),
        )
    return move


def _handed_cases(move: Move) -> list[UUID]:
    """The person's cases held by an organisation of the old commune (closed ones too: the
    old commune's hold on the record ends with its read period)."""
    return list(
        Case.objects.filter(
            person_id=move.person_id, organisation__unit_id=move.from_commune_id
        ).values_list("pk", flat=True)
    )


def _hand_over_items(actor: User, move: Move) -> int:
    """Pass the open items of the person's cases whose responsible works for the old
    commune (scope or organisation there) to the accepting officer; return how many."""
    old_staff = StaffProfile.objects.filter(
        Q(scope_unit_id=move.from_commune_id) | Q(organisation__unit_id=move.from_commune_id)
    ).values("user_id")
    moved = 0
    for item in _handed_over_types():
        rows = item.model._default_manager.filter(item.open).filter(
            case__person_id=move.person_id, **{f"{item.field}__in": old_staff}
        )
        for row in rows.select_for_update(of=("self",)):
            setattr(row, item.field, actor)
            save_edit(
                actor=actor,
                instance=row,
                action=CaseAction.MOVE_ITEM_HANDED_OVER,
                if_version=OVERRIDE,
                detail={"move": str(move.pk), "field": item.field},
            )
            moved += 1
    return moved


def move_accept(*, actor: access.AnyUser, move_id: UUID) -> Move:
    """Accept a person who moved into the actor's commune: the person, their open cases held
    by the old commune and their open follow-up items pass to the actor's commune."""
    found = Move.objects.select_related("to_commune").filter(pk=move_id).first()
    if found is None or not _is_receiver(actor, found):
        # Outside the transaction: the refusal's event stays.
        access.deny(actor, "accept_move", object_type="move", object_id=move_id)
        raise Http404
    assert isinstance(actor, User)  # noqa: S101  (a receiver has a staff profile)
    with transaction.atomic():
        locked = Move.objects.select_for_update(of=("self",)).select_related("to_commune")
        move = locked.get(pk=move_id)
        if move.state != MoveState.PENDING:
            raise ValidationError(_("This move was already accepted."))
        profile = access.profile_of(actor)
        assert profile is not None  # noqa: S101
        person = Person.objects.select_for_update().get(pk=move.person_id)
        old_commune_id = person.residence_commune_id
        person.residence_commune = move.to_commune
        save_edit(
            actor=actor,
            instance=person,
            action=CaseAction.PERSON_CHANGED,
            if_version=OVERRIDE,
            detail={"fields": ["residence_commune"], "move": str(move.pk)},
        )
        _copy_residence(person)
        residence.residence_record(
            person_id=person.pk,
            old_commune_id=old_commune_id,
            new_commune_id=move.to_commune_id,
            on=move.moved_on,
            source=ResidenceSource.MOVE,
            actor=actor,
            move=move,
        )
        organisation = Organisation.objects.get(pk=profile.organisation_id)
        cases = _handed_cases(move)
        for case_id in cases:
            case_transfer(
                actor=actor, case_id=case_id, to_organisation=organisation, move_id=move.pk
            )
        items = _hand_over_items(actor, move)
        for case_id in Case.objects.filter(person_id=person.pk).values_list("pk", flat=True):
            dues.case_refresh(case_id=case_id)
        now = timezone.now()
        move.state = MoveState.ACCEPTED
        move.accepted_by = actor
        move.accepted_at = now
        move.to_organisation = organisation
        move.read_until = now + timedelta(days=read_days())
        move.save()
        audit.record(
            actor=actor,
            action=CaseAction.MOVE_ACCEPTED,
            obj=move,
            person_id=person.pk,
            detail={
                "from": old_commune_id,
                "to": move.to_commune_id,
                "cases": [str(c) for c in cases],
                "items": items,
                "overdue": now > move.due_at,
                "read_until": move.read_until.isoformat(),
            },
        )
        access.forget_reach()
        notifications.notify(
            actor=actor,
            recipients=[move.recorded_by],
            verb=MOVE_ACCEPTED_VERB,
            text=_("The new commune accepted the hand-over of a person who moved"),
            url=reverse("cases:move_detail", args=[move.pk]),
        )
    return move


# --- the person page and the start page --------------------------------------------------


@dataclass(frozen=True)
class MoveSection:
    moves: list[Move]
    residences: list[Any]
    may_move: bool
    pending: bool


def person_section(viewer: access.AnyUser, person: Person) -> Any:
    """Return the person page's "Residence and moves" section: the residence history, the
    moves with their deadline, and "Record a move" for a viewer who may change the person."""
    from . import timeline

    found = person_moves(person=person)
    pending = any(move.state == MoveState.PENDING for move in found)
    section = MoveSection(
        moves=found,
        residences=residence.residence_history(person_id=person.pk),
        may_move=not pending and access.can(viewer, caps.PERSON_CHANGE, person),
        pending=pending,
    )
    return timeline.PersonSection(
        title=gettext_lazy("Residence and moves"),
        template="cases/includes/moves.html",
        rows=[section],
        test_id="moves",
    )


def tallies(user: access.AnyUser) -> list[Any]:
    """Return the start page's counts of people who moved into the user's communes, when
    any wait to be accepted (an overdue one is waiting too)."""
    from core import navigation

    if access.profile_of(user) is None or Role.COMMUNE_OFFICER not in roles_of(user):
        return []
    waiting, late = handover_count(user)
    if not waiting:  # nothing to accept: no cards (the start page stays short on a phone)
        return []
    url = reverse("cases:handover_queue")
    return [
        navigation.Tally(gettext_lazy("people who moved here, to accept"), waiting, url),
        navigation.Tally(gettext_lazy("hand-overs overdue (24 hours)"), late, url, True),
    ]
