"""Build a person's exchange document, always through ``cases.access`` (docs/exchange.md).

The caller must see the whole person (a receiver of a referral, who sees only the parts it
shared, is refused: 404 and a denial); the read is one ``exchange_document_read`` event
naming the person. The identity is carried only where ``access.identity_shown`` would show
it on a page; a document without it cannot be taken in elsewhere.
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cases import access, moves, timeline
from cases import selectors as case_selectors
from cases.models import Case, Organisation, Person
from cases.move_models import MoveState
from referrals.models import Referral
from services.models import Screening, ServiceRecord, TreatmentEpisode

from . import signing
from .document import FORMAT, FORMAT_VERSION, PersonDocument
from .events import ExchangeAction
from .models import ReceivedRecord

IDENTITY = case_selectors.IDENTITY


def _organisation(organisation: Organisation) -> dict[str, Any]:
    return {"name": organisation.name, "unit": organisation.unit.code}


def _rows[M: models.Model](
    viewer: access.AnyUser, model: type[M], case_ids: list[UUID], *related: str
) -> dict[UUID, list[M]]:
    """Return the viewer's rows of a record type for these cases, by case (one query)."""
    found: dict[UUID, list[M]] = {pk: [] for pk in case_ids}
    rows = access.visible(viewer, model).filter(case_id__in=case_ids)
    if related:
        rows = rows.select_related(*related)
    for row in rows.order_by("created_at", "pk"):
        found[row.case_id].append(row)  # type: ignore[attr-defined]
    return found


def _case(
    case: Case,
    screenings: list[Screening],
    episodes: list[TreatmentEpisode],
    services: list[ServiceRecord],
    referrals: list[Referral],
) -> dict[str, Any]:
    return {
        "id": str(case.pk),
        "version": case.version,
        "category": case.category,
        "status": case.status,
        "managed_record": case.managed_record,
        "opened_on": case.opened_on.isoformat(),
        "closed_on": case.closed_on.isoformat() if case.closed_on else None,
        "organisation": _organisation(case.organisation),
        "screenings": [
            {
                "id": str(s.pk),
                "version": s.version,
                "instrument": s.instrument,
                "instrument_version": s.instrument_version,
                "screened_on": s.screened_on.isoformat(),
                "score": s.score,
                "level": s.level,
                "injecting": s.injecting,
            }
            for s in screenings
        ],
        "episodes": [
            {
                "id": str(e.pk),
                "version": e.version,
                "modality": e.modality,
                "provider": _organisation(e.provider),
                "started_on": e.started_on.isoformat(),
                "planned_end_on": e.planned_end_on.isoformat() if e.planned_end_on else None,
                "ended_on": e.ended_on.isoformat() if e.ended_on else None,
                "outcome": e.outcome,
            }
            for e in episodes
        ],
        "services": [
            {
                "id": str(s.pk),
                "version": s.version,
                "service_type": s.service_type.code,
                "status": s.status,
                "due_on": s.due_on.isoformat() if s.due_on else None,
                "delivered_on": s.delivered_on.isoformat() if s.delivered_on else None,
                "provider": _organisation(s.provider) if s.provider else None,
            }
            for s in services
        ],
        "referrals": [
            {
                "id": str(r.pk),
                "version": r.version,
                "service_type": r.service_type.code,
                "state": r.state,
                "from_organisation": _organisation(r.from_organisation),
                "to_organisation": _organisation(r.to_organisation),
                "sent_on": r.sent_on.isoformat() if r.sent_on else None,
                "answered_on": r.answered_on.isoformat() if r.answered_on else None,
                "closed_on": r.closed_on.isoformat() if r.closed_on else None,
            }
            for r in referrals
        ],
    }


def person_document(*, viewer: access.AnyUser, person_id: UUID) -> dict[str, Any]:
    """Return the person's signed exchange document (an ``exchange_document_read`` event),
    or 404 with a denial out of scope or to a viewer who sees only some parts."""
    try:
        found = access.visible_people(viewer).filter(pk=person_id).first()
    except (ValueError, TypeError):
        found = None
    if found is not None:
        access.require_whole_person(viewer, found)  # a parts-limited receiver: denial, 404
    person = access.get_for_user(
        viewer,
        Person,
        person_id,
        queryset=access.visible_people(viewer).select_related("residence_commune"),
        read_action=ExchangeAction.DOCUMENT_READ,
    )
    cases = list(
        access.visible_cases(viewer)
        .filter(person_id=person.pk)
        .select_related("organisation__unit")
        .order_by("opened_on", "pk")
    )
    ids = [case.pk for case in cases]
    screenings = _rows(viewer, Screening, ids)
    episodes = _rows(viewer, TreatmentEpisode, ids, "provider__unit")
    services = _rows(viewer, ServiceRecord, ids, "service_type", "provider__unit")
    referrals = _rows(
        viewer, Referral, ids, "service_type", "from_organisation__unit", "to_organisation__unit"
    )
    # The latest move nobody at the new commune has accepted: the transfer this document makes.
    pending = [m for m in moves.person_moves(person=person) if m.state == MoveState.PENDING]
    transfer = (
        {"to_commune": pending[0].to_commune.code, "moved_on": pending[0].moved_on.isoformat()}
        if pending
        else None
    )
    shown = access.identity_shown(viewer, person)
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "document_id": str(uuid.uuid4()),
        # Whole seconds: every JSON encoder on the way writes them alike (Django's cuts
        # microseconds to milliseconds), so the signature holds over what is sent.
        "issued_at": timezone.now().replace(microsecond=0).isoformat(),
        "source": {"instance": signing.instance_name()},
        "person": {
            "id": str(person.pk),
            "version": person.version,
            "sex": person.sex,
            "birth_year": person.birth_year,
            "birth_year_estimated": person.birth_year_estimated,
            "ethnicity": person.ethnicity,
            "residence_commune": person.residence_commune.code,
            "identity": {name: getattr(person, name) or "" for name in IDENTITY} if shown else None,
        },
        "transfer": transfer,
        "cases": [
            _case(c, screenings[c.pk], episodes[c.pk], services[c.pk], referrals[c.pk])
            for c in cases
        ],
    }
    return signing.sign(_normal(document))


def _normal(document: dict[str, Any]) -> dict[str, Any]:
    """Return the document as its schema writes it (dates, times and ids as JSON text), so
    the signature covers exactly what a receiver reads, whoever serialises it on the way."""
    placeholder = {"algorithm": "Ed25519", "value": "A" * 86}
    normal = PersonDocument.model_validate({**document, "signature": placeholder})
    return {k: v for k, v in normal.model_dump(mode="json").items() if k != "signature"}


RECEIVED_KINDS = {
    "screening": _("Screening"),
    "episode": _("Treatment episode"),
    "service": _("Service"),
    "referral": _("Referral"),
}


def received_entries(
    viewer: access.AnyUser, case_ids: list[Any], limit: int
) -> list[timeline.Entry]:
    """Return the timeline's entries for records received through the exchange (the kind
    and the source: nothing decrypted), linking to the case itself (they have no page)."""
    rows = (
        access.visible(viewer, ReceivedRecord)
        .filter(case_id__in=case_ids)
        .only("case_id", "kind", "source", "on")
        .order_by("-on")[:limit]
    )
    return [
        timeline.Entry(
            on=row.on,
            kind=ReceivedRecord.timeline_label,
            title=format_lazy("{} ({})", RECEIVED_KINDS.get(row.kind, row.kind), row.source),
            url=reverse("cases:case_detail", args=[row.case_id]),
        )
        for row in rows
    ]
