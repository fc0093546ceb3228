"""Reads of service records, on rows already scoped by cases.access."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.capabilities import can
from cases import access, timeline
from cases.choices import CaseStatus, ClientCategory

from . import screenings
from .capabilities import SERVICE_ADD
from .instruments.substances import SUBSTANCES
from .kinds import KINDS, Kind, of_record
from .models import (
    CaseRecord,
    FollowUp,
    Reception,
    Screening,
    ServiceRecord,
    ServiceStatus,
    ServiceType,
    ShelterStay,
    VocationalSupport,
)

# Where a returnee was received, stays, lives, works and can be reached: shown masked until
# a user asks (and it is recorded). The shelter of a stay says where the person lives.
MASKED_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Reception: ("place", "current_address", "contact"),
    ShelterStay: ("shelter",),
}
# Masked only on a returned victim's case (an employer locates the person).
MASKED_FOR_VICTIMS: dict[type[models.Model], tuple[str, ...]] = {VocationalSupport: ("employer",)}
MASK = "••••••"


def masked_fields(record: Any) -> tuple[str, ...]:
    """Return the fields of the record shown masked until revealed."""
    fields = MASKED_FIELDS.get(type(record), ())
    if record.case.category == ClientCategory.TRAFFICKING_VICTIM:
        fields += MASKED_FOR_VICTIMS.get(type(record), ())
    return fields


def record_url(record: CaseRecord) -> str:
    kind = of_record(record)
    return reverse("services:record_detail", args=[kind.slug, record.pk])


def summary(record: Any) -> str:
    """Return the one line a list or timeline shows for a record (no identifying text)."""
    if isinstance(record, ServiceRecord):
        amount = f" · {record.amount_display}" if record.amount is not None else ""
        return f"{record.service_type.name}{amount}"
    if isinstance(record, Screening):
        # The entry already names the instrument (its kind): the line is the result.
        return str(screenings.level_label(record) or "")
    for name in ("kind", "modality", "identification_status"):
        if hasattr(record, f"get_{name}_display"):
            return str(getattr(record, f"get_{name}_display")())
    if isinstance(record, ShelterStay):
        # The dates only: the shelter's name would say where the person lives.
        left = date_format(record.left_on, "SHORT_DATE_FORMAT") if record.left_on else "…"
        return f"{date_format(record.entered_on, 'SHORT_DATE_FORMAT')} – {left}"
    return str(record.timeline_label)


def _status(record: Any) -> tuple[str | Promise, bool]:
    today = timezone.localdate()
    if isinstance(record, ServiceRecord):
        due = record.due_on
        overdue = record.status == ServiceStatus.PLANNED and due is not None and due < today
        return record.get_status_display(), overdue
    if isinstance(record, FollowUp):
        if record.cancelled_on:
            return _("Cancelled"), False
        overdue = record.done_on is None and record.due_on is not None and record.due_on < today
        return (_("Done") if record.done_on else _("Planned")), overdue
    if hasattr(record, "get_outcome_display"):
        return record.get_outcome_display(), False
    return "", False


def _related(model: type[models.Model]) -> list[str]:
    return [
        f.name
        for f in model._meta.concrete_fields
        if f.is_relation and f.name in ("service_type", "provider")
    ]


def _timeline_source(model: type[CaseRecord]) -> timeline.Source:
    def entries(
        viewer: access.AnyUser, case_ids: list[Any], limit: int
    ) -> Iterable[timeline.Entry]:
        # case_ids are the cases cases.timeline found visible to the viewer.
        rows = model._default_manager.filter(case_id__in=case_ids)
        if related := _related(model):
            rows = rows.select_related(*related)
        if model is FollowUp:
            # A plan its period dropped is not something that happened (history keeps it).
            rows = rows.filter(Q(cancelled_on__isnull=True))
        for row in rows.order_by("-created_at")[:limit]:
            status, overdue = _status(row)
            yield timeline.Entry(
                on=row.when,
                kind=of_record(row).label,
                title=summary(row),
                url=record_url(row),
                status=status,
                overdue=overdue,
                planned=isinstance(row, FollowUp) and row.is_open,
            )

    return entries


# The part of a case each kind of record belongs to when a referral shares parts of it
# (referrals.models.Part); kinds not named here show only to those who see the whole case.
TIMELINE_PARTS = {
    "screening": "screenings",
    "treatmentepisode": "treatment",
    "postrehabperiod": "treatment",
    "followup": "notes",
}


def register_timeline() -> None:
    # One source (one query) per model, whatever the number of kinds sharing it.
    for model in dict.fromkeys(kind.model for kind in KINDS.values()):
        part = TIMELINE_PARTS.get(model._meta.model_name or "", "")
        timeline.register(_timeline_source(model), part=part)
        if part:  # the record pages follow the same parts as the timeline
            access.register_record_part(model, part)
    timeline.register(stage_entries, part="treatment")
    from .models import EpisodeStage, ScreeningScore

    access.register_record_part(EpisodeStage, "treatment")
    access.register_record_part(ScreeningScore, "screenings")


@dataclass(frozen=True)
class Fact:
    label: str | Promise
    value: str
    masked: bool = False


def _shown(record: models.Model, field: models.Field[Any, Any]) -> str:
    value = getattr(record, field.name)
    if value in (None, ""):
        return "—"
    if field.choices:
        return str(getattr(record, f"get_{field.name}_display")())
    if isinstance(field, models.DateField):
        return date_format(value, "SHORT_DATE_FORMAT")
    if hasattr(value, "display_name"):
        return str(value.display_name or value.username)
    if isinstance(record, ServiceRecord) and field.name == "amount":
        return record.amount_display
    return str(value)


def record_facts(*, record: CaseRecord, kind: Kind, revealed: bool = False) -> list[Fact]:
    """Return the record's fields as label/value pairs, masked fields hidden unless revealed."""
    masked = masked_fields(record)
    facts = []
    for name in kind.form._meta.fields or ():
        field = record._meta.get_field(name)
        hide = name in masked and not revealed and getattr(record, name)
        value = MASK if hide else _shown(record, field)  # type: ignore[arg-type]
        facts.append(Fact(capfirst(field.verbose_name), value, bool(hide)))  # type: ignore[union-attr]
    return facts


def has_masked(record: CaseRecord) -> bool:
    return any(getattr(record, name) for name in masked_fields(record))


def add_links(viewer: access.AnyUser, case: Any) -> list[timeline.AddLink]:
    """Return the kinds of record the viewer may add to this case (none without the verb)."""
    if case.status != CaseStatus.OPEN or not can(viewer, SERVICE_ADD, case):
        return []
    return [
        timeline.AddLink(kind.label, reverse("services:record_add", args=[case.pk, kind.slug]))
        for kind in KINDS.values()
        if kind.offered_to(case.category)
    ]


@dataclass(frozen=True)
class ScreeningView:
    level: str | Promise
    total: int | None
    scores: list[tuple[str | Promise, int, str | Promise]]
    services: list[tuple[str | Promise, bool]]
    answers: list[tuple[Any, str]]
    # What the questionnaire says to do (ASSIST: the pattern of injecting), as (finding, action).
    advice: list[tuple[str | Promise, str | Promise]] = dataclasses.field(default_factory=list)


def screening_view(screening: Screening) -> ScreeningView:
    """Return what a screening's page shows: result, scores, services to offer, answers.

    The stored answers are scored again with the version they were given under; the
    services to offer are named as the catalogue names them.
    """
    definition, answers = screenings.stored(screening)
    result = definition.score(answers)
    names = {subject.code: subject.name for subject in SUBSTANCES}
    names |= {f.subject.code: f.subject.name for f in definition.fields if f.subject}
    catalogue = {s.code: s.name for s in ServiceType.objects.filter(code__in=result.services)}
    return ScreeningView(
        level=definition.level_label(screening.level) if screening.level else "",
        total=screening.score,
        scores=[
            (names.get(s.subject, s.subject), s.score, definition.level_label(s.level))
            for s in result.scores
        ],
        services=[(catalogue.get(c, c), c in result.urgent_services) for c in result.services],
        answers=screenings.answers_shown(definition, answers),
        advice=screenings.advice(result),
    )


def episode_stages(*, viewer: access.AnyUser, episode: Any) -> list[Any]:
    """Return the stages of an episode the viewer may see, in the order of the process."""
    from .models import EpisodeStage

    return list(access.visible(viewer, EpisodeStage).filter(episode=episode).order_by("stage"))


def stage_entries(
    viewer: access.AnyUser, case_ids: list[Any], limit: int
) -> Iterable[timeline.Entry]:
    """Yield the timeline entries of facility treatment stages (one query)."""
    from .models import EpisodeStage, Stage

    rows = EpisodeStage.objects.filter(episode__case_id__in=case_ids)
    for row in rows.order_by("-started_on")[:limit]:
        yield timeline.Entry(
            on=row.started_on,
            kind=_("Treatment stage"),
            title=_("Stage %(number)d: %(name)s")
            % {"number": row.stage, "name": Stage(row.stage).label},
            url=reverse("services:record_detail", args=["episode", row.episode_id]),
            status=_("Ended") if row.ended_on else _("In progress"),
        )
