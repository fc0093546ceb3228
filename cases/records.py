"""One recipe for a record type that hangs off a case: one ``register(RecordType(...))``.

A record type needs the same things wherever it is built: rows scoped through their case,
verbs to add and change them, audit actions, one save step with version and history, an
entry on the timeline, an entry in the case page's "Add…" menu, its due items and the part
of a case a referral shares it with. ``register`` wires all of them from one spec, on top of
the registries that already exist (``accounts.capabilities.declare``,
``audit.registry.register``, ``cases.timeline``, ``cases.dues``,
``cases.access.register_record_part``); it adds no rule of its own, so scoping stays
``cases.access``'s alone. ``tests/exampleapp`` is the recipe in full (``docs/architecture.md``).

Records hang off a case, not directly off a person (decision D34): a referral shares parts
of a case, the due list and ``Case.next_due_on`` are per case, so a person-level record
would have no part to withhold; ``register`` refuses a model that is not scoped by a case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.capabilities import can, declare
from audit import registry
from audit.editing import save_edit
from core.editing import OVERRIDE, IfVersion

from . import access, dues, timeline
from .capabilities import WRITE_ROLES
from .choices import CaseStatus
from .models import Case


@dataclass(frozen=True)
class Due:
    """The record's open rows are due on ``due_field`` for the user in ``responsible_field``."""

    open: Q
    due_field: str = "due_on"
    responsible_field: str = "responsible"


@dataclass(frozen=True)
class Api[M: models.Model]:
    """The record type in the API: ``api.records`` builds its endpoints from this alone.

    ``path`` is the URL segment (``/api/v1/cases/{case_id}/<path>`` lists and adds,
    ``/api/v1/<path>/{<id_param>}`` reads and changes); ``fields`` the model fields a read
    gives (never one the record page masks); ``writable`` the fields a write takes, through
    ``form(data, row, user)`` (the page's form) and ``add(actor, row)`` / ``change(actor,
    row, if_version)`` (the page's actions; default: the recipe's save step). No ``form``:
    read only.
    """

    path: str
    id_param: str
    fields: tuple[str, ...]
    writable: tuple[str, ...] = ()
    form: Callable[[dict[str, Any], M, access.AnyUser], Any] | None = None
    add: Callable[[access.AnyUser, M], M] | None = None
    change: Callable[[access.AnyUser, M, IfVersion], M] | None = None


@dataclass(frozen=True)
class RecordType[M: models.Model]:
    """What one record type is; ``register`` wires it everywhere from this."""

    model: type[M]
    # Names the audit actions (``<name>_added``, ``<name>_changed``) and the verbs
    # (``<name>.add``, ``<name>.change``).
    name: str
    label: str | Promise  # the timeline's kind and the "Add…" menu's entry
    added: str | Promise  # the audit actions' labels ("Added a case note")
    changed: str | Promise
    date_field: str  # the date the timeline shows the record on
    # The timeline's one line for a row: never a name or other identifying text.
    title: Callable[[M], str | Promise]
    detail_url: str  # URL name of the record's page (argument: the record's id)
    add_url: str = ""  # URL name of the add page (argument: the case id); "": no menu entry
    parent: Literal["case"] = "case"  # D34: records hang off a case
    # The part of a case a referral shares it with (``referrals.models.Part`` code); "": only
    # viewers who see the whole case; ``access.RowPart(column)``: each row names its own.
    part: str | access.RowPart = ""
    roles: tuple[str, ...] = WRITE_ROLES  # who may add and change (scope "change")
    categories: tuple[str, ...] = ()  # client categories offered the "Add…" entry (): all
    due: Due | None = None
    related: tuple[str, ...] = ()  # fetched with each row by the timeline and the due list
    checks: tuple[Callable[[M], None], ...] = field(default=())  # rules over several rows
    # Whether a row is planned and not yet done (a scheduled appointment, a goal in
    # progress): the case page shows it under "Coming up", overdue once its date has passed.
    planned: Callable[[M], bool] | None = None
    # Its endpoints in the API (docs/api.md, "Records"); None: not in the API.
    api: Api[M] | None = None

    @property
    def added_action(self) -> str:
        return f"{self.name}_added"

    @property
    def changed_action(self) -> str:
        return f"{self.name}_changed"

    @property
    def add_verb(self) -> str:
        return f"{self.name}.add"

    @property
    def change_verb(self) -> str:
        return f"{self.name}.change"

    def url(self, record: M) -> str:
        return reverse(self.detail_url, args=[record.pk])

    def case_to_add_to(self, user: access.AnyUser, case_id: Any) -> Case:
        """Return the open case the user may add this record to (a read is recorded), else
        record the denial and answer 404."""
        case = access.get_case_for_user(user, case_id, "change")
        if case.status != CaseStatus.OPEN or not can(user, self.add_verb, case):
            access.deny(user, self.add_verb, obj=case)
            raise PermissionDenied
        return case

    def save(self, *, actor: access.AnyUser, instance: M, if_version: IfVersion | None = None) -> M:
        """Save a new or changed row through the shared save step, and record it.

        A new row needs ``<name>.add`` on its case, a change ``<name>.change`` on the row
        and the version its form was opened at (``form.opened_version(row)``); a refusal is
        recorded (``access.deny``) and raises ``PermissionDenied``, a stale version raises
        ``EditConflict`` and writes nothing.
        """
        adding = instance._state.adding
        if not adding and if_version is None:
            raise TypeError("a change says which version it was opened at (or OVERRIDE)")
        verb, target = (
            (self.add_verb, instance.case) if adding else (self.change_verb, instance)  # type: ignore[attr-defined]
        )
        if not can(actor, verb, target):
            access.deny(actor, verb, obj=target)
            raise PermissionDenied
        with transaction.atomic():
            saved = save_edit(
                actor=actor,
                instance=instance,
                action=self.added_action if adding else self.changed_action,
                if_version=OVERRIDE if if_version is None else if_version,
                checks=self.checks,
            )
            if self.due is not None:
                dues.case_refresh(case_id=saved.case_id)  # type: ignore[attr-defined]
        return saved


_registered: dict[type[models.Model], RecordType[Any]] = {}


def _timeline_source(spec: RecordType[Any]) -> timeline.Source:
    def entries(
        viewer: access.AnyUser, case_ids: list[Any], limit: int
    ) -> Iterable[timeline.Entry]:
        # case_ids are the cases cases.timeline found visible (and its part shared).
        rows = spec.model._default_manager.filter(case_id__in=case_ids)
        if isinstance(spec.part, access.RowPart):
            # Registered for every viewer of the case: each row's own part decides.
            rows = access.limit_to_parts(viewer, spec.model, rows)
        if spec.related:
            rows = rows.select_related(*spec.related)
        today = timezone.localdate()
        for row in rows.order_by(f"-{spec.date_field}", "-pk")[:limit]:
            on = getattr(row, spec.date_field)
            planned = spec.planned is not None and spec.planned(row)
            yield timeline.Entry(
                on=on,
                kind=spec.label,
                title=spec.title(row),
                url=spec.url(row),
                planned=planned,
                overdue=planned and on < today,
            )

    return entries


def _add_links(spec: RecordType[Any]) -> timeline.AddLinks:
    def links(viewer: access.AnyUser, case: Case) -> list[timeline.AddLink]:
        if case.status != CaseStatus.OPEN or not can(viewer, spec.add_verb, case):
            return []
        if spec.categories and case.category not in spec.categories:
            return []
        return [timeline.AddLink(spec.label, reverse(spec.add_url, args=[case.pk]))]

    return links


def register[M: models.Model](spec: RecordType[M]) -> RecordType[M]:
    """Wire a record type: verbs, audit actions, part, timeline, "Add…" menu, due items.

    Call once from the app's ``AppConfig.ready()``; a second call with the same spec does
    nothing, another spec for the same model is refused.
    """
    known = _registered.get(spec.model)
    if known is not None:
        if known != spec:
            raise ImproperlyConfigured(f"{spec.model.__name__} is registered twice, differently")
        return spec
    if spec.parent != "case" or access._scope_target(spec.model) is not Case:
        raise ImproperlyConfigured(
            f"{spec.model.__name__} must hang off a case (a foreign key or scope_through to "
            "Case): a record directly off a person has no part a referral can withhold (D34)"
        )
    declare(
        spec.add_verb,
        roles=spec.roles,
        scope="change",
        label=format_lazy("{}: {}", _("Add"), spec.label),
    )
    declare(
        spec.change_verb,
        roles=spec.roles,
        scope="change",
        label=format_lazy("{}: {}", _("Change"), spec.label),
    )
    registry.register(spec.added_action, spec.added)
    registry.register(spec.changed_action, spec.changed)
    if spec.part:
        access.register_record_part(spec.model, spec.part)
    # A row-part type is on every case viewer's timeline; its source drops rows by their part.
    part = spec.part if isinstance(spec.part, str) else access.ANY_PART
    timeline.register(_timeline_source(spec), part=part)
    if spec.add_url:
        timeline.register_add_links(_add_links(spec))
    if spec.due is not None:
        dues.register(
            spec.model,
            open=spec.due.open,
            label=lambda row: format_lazy("{}: {}", spec.label, spec.title(row)),
            url=spec.url,
            due_field=spec.due.due_field,
            responsible_field=spec.due.responsible_field,
            related=spec.related,
        )
    _registered[spec.model] = spec
    return spec


def registered() -> list[RecordType[Any]]:
    """Return the record types wired through this recipe."""
    return list(_registered.values())


def spec_for[M: models.Model](model: type[M]) -> RecordType[M]:
    """Return the record type registered for a model (an app's actions save through it
    without importing the module that declares it: that module may name the actions)."""
    return _registered[model]
