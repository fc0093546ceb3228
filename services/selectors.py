"""Reads of service records, on rows already scoped by cases.access."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cases import access, timeline

from .kinds import KINDS, Kind, of_model
from .models import CaseRecord, FollowUp, Reception, ServiceRecord, ServiceStatus

# What a returnee's reception record shows masked until a user asks (and it is recorded).
MASKED_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Reception: ("place", "current_address", "contact")
}
MASK = "••••••"


def record_url(record: CaseRecord) -> str:
    kind = of_model(type(record))
    return reverse("services:record_detail", args=[kind.slug, record.pk])


def summary(record: Any) -> str:
    """Return the one line a list or timeline shows for a record (no identifying text)."""
    if isinstance(record, ServiceRecord):
        return str(record.service_type.name)
    for name in ("kind", "modality", "identification_status"):
        if hasattr(record, f"get_{name}_display"):
            return str(getattr(record, f"get_{name}_display")())
    if hasattr(record, "shelter"):
        return str(record.shelter)
    return str(record.timeline_label)


def _status(record: Any) -> tuple[str | Promise, bool]:
    today = timezone.localdate()
    if isinstance(record, ServiceRecord):
        due = record.due_on
        overdue = record.status == ServiceStatus.PLANNED and due is not None and due < today
        return record.get_status_display(), overdue
    if isinstance(record, FollowUp):
        overdue = record.done_on is None and record.due_on is not None and record.due_on < today
        return (_("Done") if record.done_on else _("Planned")), overdue
    if hasattr(record, "get_outcome_display"):
        return record.get_outcome_display(), False
    return "", False


def _related(model: type[models.Model]) -> list[str]:
    return [
        f.name
        for f in model._meta.concrete_fields
        if f.is_relation and f.name in ("service_type", "shelter", "provider")
    ]


def _timeline_source(kind: Kind) -> timeline.Source:
    def entries(viewer: access.AnyUser, where: Q, limit: int) -> Iterable[timeline.Entry]:
        rows = access.visible(viewer, kind.model).filter(where)
        if related := _related(kind.model):
            rows = rows.select_related(*related)
        rows = rows.order_by("-created_at")[:limit]
        for row in rows:
            status, overdue = _status(row)
            yield timeline.Entry(
                on=row.when, kind=kind.label, title=summary(row), url=record_url(row),
                status=status, overdue=overdue,
            )  # fmt: skip

    return entries


def register_timeline() -> None:
    for kind in KINDS.values():
        timeline.register(_timeline_source(kind))
    timeline.register(stage_entries)


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
    return str(value)


def record_facts(*, record: CaseRecord, kind: Kind, revealed: bool = False) -> list[Fact]:
    """Return the record's fields as label/value pairs, masked fields hidden unless revealed."""
    masked = MASKED_FIELDS.get(type(record), ())
    facts = []
    for name in kind.form._meta.fields or ():
        field = record._meta.get_field(name)
        hide = name in masked and not revealed and getattr(record, name)
        value = MASK if hide else _shown(record, field)  # type: ignore[arg-type]
        facts.append(Fact(field.verbose_name, value, bool(hide)))  # type: ignore[union-attr]
    return facts


def has_masked(record: CaseRecord) -> bool:
    return any(getattr(record, name) for name in MASKED_FIELDS.get(type(record), ()))


def add_links(viewer: access.AnyUser, case: Any) -> list[timeline.AddLink]:
    """Return the kinds of record the viewer may add to this case (none without the verb)."""
    from accounts.capabilities import can

    from .capabilities import SERVICE_ADD

    if case.status != "open" or not can(viewer, SERVICE_ADD, case):
        return []
    return [
        timeline.AddLink(kind.label, reverse("services:record_add", args=[case.pk, kind.slug]))
        for kind in KINDS.values()
        if kind.offered_to(case.category)
    ]


def episode_stages(*, viewer: access.AnyUser, episode: Any) -> list[Any]:
    """Return the stages of an episode the viewer may see, in the order of the process."""
    from .models import EpisodeStage

    return list(access.visible(viewer, EpisodeStage).filter(episode=episode).order_by("stage"))


def _through_episode(where: Q) -> Q:
    """Return a filter on ``case`` rewritten for a row that reaches its case via ``episode``."""
    rewritten = Q()
    rewritten.connector, rewritten.negated = where.connector, where.negated
    for child in where.children:
        if isinstance(child, Q):
            rewritten.children.append(_through_episode(child))
        else:
            lookup, value = cast(tuple[str, Any], child)
            rewritten.children.append((f"episode__{lookup}", value))
    return rewritten


def stage_entries(viewer: access.AnyUser, where: Q, limit: int) -> Iterable[timeline.Entry]:
    """Yield the timeline entries of facility treatment stages (one query)."""
    from .models import EpisodeStage, Stage

    rows = access.visible(viewer, EpisodeStage).filter(_through_episode(where))
    for row in rows.order_by("-started_on")[:limit]:
        yield timeline.Entry(
            on=row.started_on, kind=_("Treatment stage"),
            title=_("Stage %(number)d: %(name)s")
            % {"number": row.stage, "name": Stage(row.stage).label},
            url=reverse("services:record_detail", args=["episode", row.episode_id]),
            status=_("Ended") if row.ended_on else _("In progress"),
        )  # fmt: skip
