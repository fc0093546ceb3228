"""A person's residence history: written whenever the commune of residence changes, read by
the coverage figures (D50, ``docs/moves.md``).

``Person.residence_commune`` stays the current commune, the column the access rules compare;
the rows here say where the person lived when. A person registered before the history was
kept has no row until their commune first changes: then the old commune gets a row "since
before the history" (``started_on`` empty) and the new one its own. So the commune on a day
is the row covering that day, or the current commune when no row covers it.
"""

from __future__ import annotations

import datetime
from uuid import UUID

from django.db.models import F, OuterRef, Q, Subquery

from accounts.models import AnyUser, User

from .move_models import Move, Residence, ResidenceSource
from .reorganisation_models import UnitSuccession


def residence_record(
    *,
    person_id: UUID,
    old_commune_id: int | None,
    new_commune_id: int,
    on: datetime.date,
    source: str,
    actor: AnyUser | None = None,
    move: Move | None = None,
) -> Residence | None:
    """Record that the person lives in ``new_commune_id`` from ``on``; close the stretch
    before. Nothing when the commune did not change. Call inside the person's save."""
    current = (
        Residence.objects.select_for_update().filter(person_id=person_id, ended_on__isnull=True)
    ).first()
    if current is not None and current.commune_id == new_commune_id:
        return None
    if current is None and old_commune_id == new_commune_id:
        return None  # a person from before the history, whose commune did not change
    recorder = actor if isinstance(actor, User) else None
    starts = on
    if current is not None:
        starts = max(on, current.started_on) if current.started_on else on
        current.ended_on = starts
        current.save(update_fields=["ended_on"])
    elif old_commune_id is not None:
        Residence.objects.create(
            person_id=person_id,
            commune_id=old_commune_id,
            started_on=None,
            ended_on=on,
            source=ResidenceSource.EARLIER,
            recorded_by=recorder,
        )
    return Residence.objects.create(
        person_id=person_id,
        commune_id=new_commune_id,
        started_on=starts,
        source=source,
        move=move,
        recorded_by=recorder,
    )


def residence_history(*, person_id: UUID) -> list[Residence]:
    """Return the person's residence rows, the latest first (the person is the caller's,
    fetched through ``cases.access``)."""
    return list(
        Residence.objects.filter(person_id=person_id)
        .select_related("commune")
        .order_by("-recorded_at", "-started_on")
    )


def movers_on(*, day: datetime.date, communes: list[int]) -> dict[UUID, tuple[int, int]]:
    """Return the people whose commune on ``day`` (re-based: a retired unit's successor)
    differs from today's and either is one of ``communes``: person id → (commune on that
    day, commune today). For aggregate figures (ids only, no one is shown)."""
    if not communes:
        return {}
    # An ended row's unit retired by a reorganisation counts as its successor (re-based,
    # D57): the new unit listed first for it, in the same query.
    kept = UnitSuccession.objects.filter(old_unit_id=F("new_unit_id")).values("old_unit_id")
    successions = UnitSuccession.objects.exclude(old_unit_id__in=kept)
    successor = Subquery(
        successions.filter(old_unit_id=OuterRef("commune_id"))
        .order_by("-reorganisation_id", "pk")
        .values("new_unit_id")[:1]
    )
    retired_into = successions.filter(new_unit_id__in=communes).values("old_unit_id")
    rows = (
        Residence.objects.filter(ended_on__gt=day)
        .filter(Q(started_on__isnull=True) | Q(started_on__lte=day))
        .filter(
            Q(commune_id__in=communes)
            | Q(person__residence_commune_id__in=communes)
            | Q(commune_id__in=retired_into)
        )
        .exclude(commune_id=F("person__residence_commune_id"))
        .annotate(successor=successor)
        .values_list("person_id", "commune_id", "successor", "person__residence_commune_id")
    )
    found = {person: (then or was, now) for person, was, then, now in rows}
    return {person: (then, now) for person, (then, now) in found.items() if then != now}
