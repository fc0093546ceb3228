"""The record kinds the API gives (D58): one registry, read by ``api.record_views``.

A kind says which model it is, how its rows hang off a case (``case_path``), the fields a
read gives and a write takes, and how a write goes through the page's own form and action.
Rows are reached only through ``cases.access``: ``access.visible`` (scoped by the case, and
limited to the parts a referral shared) for lists, ``access.get_for_user`` (a read event, or
a 404 and a denial) for one row; a write's scope is the action's own check.

Every type registered through the recipe (``cases.records.register``) with an ``api`` spec
is a kind here with no code in this app (``recipe_kinds``); the service records,
methadone doses and referrals, which predate the recipe, are declared below
(``SERVICE_KINDS``) on top of their apps' own tables (``services.kinds``).
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Schema
from pydantic import Field, StringConstraints, create_model

from cases import access, records
from cases.models import Case
from core.editing import IfVersion

from .inputs import refuse_unstorable_text

if TYPE_CHECKING:
    from services.screenings import ScreeningForm

# form(data, row, case, user) → the page's bound form; the row is new (case set) or saved.
FormFactory = Callable[[dict[str, Any], Any, Case, access.AnyUser], Any]
# add(actor, form) → saved row; change(actor, form, row, if_version) → saved row.
Adder = Callable[[access.AnyUser, Any], Any]
Changer = Callable[[access.AnyUser, Any, Any, IfVersion], Any]
# create(actor, case, body) → saved row, for a kind whose page is not a model form (a dose).
Creator = Callable[[access.AnyUser, Case, Any], Any]

TEXT_MAX = 4000  # the longest text any record's form takes (a plan's actions, a note)


@dataclass(frozen=True)
class Kind:
    """One record kind in the API."""

    path: str  # URL segment: /cases/{case_id}/<path>, /<path>/{<id_param>}
    model: type[models.Model]
    id_param: str
    fields: tuple[str, ...]
    case_path: str = "case_id"  # the row's case, as a lookup
    writable: tuple[str, ...] = ()
    form: FormFactory | None = None
    add: Adder | None = None
    change: Changer | None = None
    create: Creator | None = None  # instead of form + add (doses)
    create_fields: dict[str, Any] = field(default_factory=dict)  # its body: name → type
    # May the caller add this kind to this case (the page's menu rules), beyond scope?
    may_add: Callable[[access.AnyUser, Case], bool] | None = None
    # In the published schema (docs/api/openapi.json); False: a test app's kind.
    published: bool = True

    @property
    def operation(self) -> str:
        """The operation names' stem: ``treatment-episodes`` → ``treatment_episodes``."""
        return self.path.replace("-", "_")

    @property
    def model_fields(self) -> dict[str, models.Field[Any, Any]]:
        return {name: _field(self.model, name) for name in self.fields}


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    found = model._meta.get_field(name)
    assert isinstance(found, models.Field)  # noqa: S101 (a kind names concrete fields)
    return found


def _is_user(db_field: models.Field[Any, Any]) -> bool:
    return db_field.is_relation and db_field.related_model is get_user_model()


def _python_type(db_field: models.Field[Any, Any], *, out: bool) -> Any:
    """The pydantic type of a model field: a user by username, another row by its id."""
    if _is_user(db_field):
        kind: Any = str
    elif db_field.is_relation:
        target = db_field.related_model
        assert target is not None and not isinstance(target, str)  # noqa: S101
        kind = _python_type(target._meta.pk, out=out)
    elif isinstance(db_field, models.UUIDField):
        kind = uuid.UUID
    elif isinstance(db_field, models.BooleanField):
        kind = bool
    elif isinstance(db_field, models.IntegerField | models.AutoField):
        kind = int
    elif isinstance(db_field, models.DecimalField):
        kind = float  # a JSON number (its digits are the form's to check)
    elif isinstance(db_field, models.DateTimeField):
        kind = datetime.datetime
    elif isinstance(db_field, models.DateField):
        kind = datetime.date
    elif isinstance(db_field, models.TimeField):
        kind = datetime.time
    elif isinstance(db_field, models.JSONField):
        kind = list[str]
    else:
        kind = str
    return kind


def _key(db_field: models.Field[Any, Any]) -> str:
    """The name a field has in the API: another row's id is ``<name>_id``, a user's
    username keeps the field's name."""
    return db_field.attname if db_field.is_relation and not _is_user(db_field) else db_field.name


def _title(path: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_]", path))


def out_schema(kind: Kind) -> type[Schema]:
    """The record as a read gives it: id, version, case, and the kind's fields."""
    fields: dict[str, Any] = {
        "id": (_python_type(kind.model._meta.pk, out=True), ...),
        "kind": (str, Field(description="The record kind (the URL segment)")),
        "case_id": (uuid.UUID, ...),
        "version": (int | None, Field(description="Send it back to change the record")),
    }
    for db_field in kind.model_fields.values():
        kind_type = _python_type(db_field, out=True)
        fields[_key(db_field)] = (kind_type | None, ...)
    return create_model(f"{_title(kind.path)}Out", __base__=Schema, **fields)


def page_schema(kind: Kind) -> type[Schema]:
    return create_model(
        f"{_title(kind.path)}Page",
        __base__=Schema,
        records=(list[out_schema(kind)], ...),  # type: ignore[misc,arg-type]
        cursor=(str | None, Field(description="Send as ?cursor= for the next page")),
        more=(bool, ...),
    )


def _input_field(db_field: models.Field[Any, Any]) -> tuple[Any, Any]:
    kind = _python_type(db_field, out=False)
    if db_field.choices and kind in (str, int):  # the form's choices, in the schema
        kind = Literal[tuple(value for value, _label in db_field.flatchoices)]
    required = not db_field.blank and not db_field.has_default()
    extra: dict[str, Any] = {}
    if kind is str:
        extra["max_length"] = db_field.max_length or TEXT_MAX
    if isinstance(db_field, models.DecimalField):
        digits, places = db_field.max_digits or 14, db_field.decimal_places or 0
        extra |= {"ge": 0, "lt": 10 ** (digits - places)}
    if required:
        return (kind, Field(..., **extra))
    return (kind | None, Field(default=None, **extra))


def in_schema(kind: Kind, *, update: bool) -> type[Schema] | None:
    """The body a create (or, with ``version``, an update) takes; None when it takes none."""
    if kind.create is not None and not update:
        fields = dict(kind.create_fields)
    elif kind.form is not None:
        fields = {_key(f): _input_field(f) for f in map(kind.model_fields.get, kind.writable) if f}
    else:
        return None
    if update:
        fields["version"] = (int, Field(..., ge=1, le=2**31 - 1))
    suffix = "Update" if update else "Create"
    return create_model(f"{_title(kind.path)}{suffix}", __base__=Schema, **fields)


# --- rows ---------------------------------------------------------------------------------


def payload(kind: Kind, row: Any) -> dict[str, Any]:
    """Return a row as a read gives it."""
    out: dict[str, Any] = {
        "id": row.pk,
        "kind": kind.path,
        "case_id": _case_id(kind, row),
        "version": getattr(row, "version", None),
    }
    for db_field in kind.model_fields.values():
        value = getattr(row, db_field.attname)
        if _is_user(db_field) and value is not None:
            value = getattr(row, db_field.name).username
        elif isinstance(value, Decimal):
            value = float(value)
        out[_key(db_field)] = value
    return out


def _case_id(kind: Kind, row: Any) -> Any:
    value = row
    for step in kind.case_path.split("__"):
        value = getattr(value, step)
    return value


def related(kind: Kind) -> list[str]:
    """What to fetch with each row: its users (a username each) and the way to its case."""
    users = [f.name for f in kind.model_fields.values() if _is_user(f)]
    hops = kind.case_path.split("__")[:-1]
    return users + (["__".join(hops)] if hops else [])


def _with_related(kind: Kind, rows: Any) -> Any:
    fetched = related(kind)
    return rows.select_related(*fetched) if fetched else rows


def form_data(kind: Kind, body: Schema) -> dict[str, Any]:
    """Turn a write's body into what the page's form is posted: text, "on", usernames to
    ids (an unknown one stays unknown to the form: refused there)."""
    data: dict[str, Any] = {}
    given = body.model_dump()
    for name in kind.writable:
        db_field = kind.model_fields[name]
        value = given.get(_key(db_field))
        if value is None and db_field.has_default() and not db_field.null:
            value = db_field.get_default()  # left out: the model's default, as the page's
        if value is None:
            data[name] = ""
        elif _is_user(db_field):
            found = get_user_model().objects.filter(username=value).values_list("pk", flat=True)
            data[name] = found.first() or "-"
        elif isinstance(value, bool):
            data[name] = "on" if value else ""
        elif isinstance(value, datetime.date | datetime.time):
            data[name] = value.isoformat()
        elif isinstance(value, list):
            data[name] = value
        else:
            data[name] = str(value)
    if "version" in given:
        data["version"] = given["version"]
    return data


# --- the kinds ----------------------------------------------------------------------------


def recipe_kind(spec: records.RecordType[Any]) -> Kind | None:
    """The API kind of a recipe type, from its own registration (None: not in the API)."""
    api = spec.api
    if api is None:
        return None
    add, change, form = api.add, api.change, api.form

    def save_new(actor: access.AnyUser, bound: Any) -> Any:
        if add is not None:
            return add(actor, bound.instance)
        return spec.save(actor=actor, instance=bound.instance)

    def save_changed(actor: access.AnyUser, bound: Any, row: Any, if_version: IfVersion) -> Any:
        if change is not None:
            return change(actor, bound.instance, if_version)
        return spec.save(actor=actor, instance=bound.instance, if_version=if_version)

    def may_add(user: access.AnyUser, case: Case) -> bool:
        spec.case_to_add_to(user, case.pk)  # not open, or no verb: a denial and a 404
        return not spec.categories or case.category in spec.categories

    return Kind(
        path=api.path,
        model=spec.model,
        id_param=api.id_param,
        fields=api.fields,
        writable=api.writable,
        form=(lambda data, row, case, user: form(data, row, user)) if form else None,
        add=save_new,
        change=save_changed,
        may_add=may_add,
        published=not spec.model.__module__.startswith("tests."),
    )


def _service_kinds() -> list[Kind]:
    from referrals.models import Referral
    from services import actions as service_actions
    from services import kinds as service_kinds
    from services.capabilities import SERVICE_ADD
    from services.methadone.models import Dose
    from services.models import Screening

    def page_kind(slug: str, path: str, id_param: str, fields: tuple[str, ...]) -> Kind:
        page = service_kinds.KINDS[slug]

        def add(actor: access.AnyUser, bound: Any) -> Any:
            return service_actions.record_add(
                actor=actor, record=bound.instance, checks=page.checks, after=page.after
            )

        def change(actor: access.AnyUser, bound: Any, row: Any, if_version: IfVersion) -> Any:
            return service_actions.record_change(
                actor=actor,
                record=bound.instance,
                checks=page.checks,
                after=page.after,
                if_version=if_version,
            )

        def may_add(user: access.AnyUser, case: Case) -> bool:
            if not access.can(user, SERVICE_ADD, case):
                access.deny(user, SERVICE_ADD, obj=case)
                raise PermissionDenied
            return page.offered_to(case.category)

        return Kind(
            path=path,
            model=page.model,
            id_param=id_param,
            fields=fields,
            writable=tuple(page.form._meta.fields or ()),
            form=lambda data, row, case, user: page.form(data, instance=row, case=case, user=user),
            add=add,
            change=change,
            may_add=may_add,
        )

    return [
        Kind(
            path="screenings",
            model=Screening,
            id_param="screening_id",
            create=_screening_create,
            create_fields=_screening_fields(),
            may_add=_screening_may_add,
            # The result, never the answers (a screening is corrected by a new one).
            fields=(
                "instrument",
                "instrument_version",
                "screened_on",
                "screener",
                "score",
                "level",
                "injecting",
            ),
        ),
        page_kind(
            "episode",
            "treatment-episodes",
            "episode_id",
            ("modality", "provider", "started_on", "planned_end_on", "ended_on", "outcome"),
        ),
        page_kind(
            "service",
            "services",
            "record_id",
            (
                "service_type",
                "status",
                "due_on",
                "delivered_on",
                "provider",
                "responsible",
                "amount",
                "note",
            ),
        ),
        Kind(
            path="methadone-doses",
            model=Dose,
            id_param="dose_id",
            case_path="episode__case_id",
            fields=("episode", "given_on", "kind", "dose_mg", "recorded_by", "recorded_at"),
            create=_dose_create,
            create_fields={
                "episode_id": (uuid.UUID, ...),
                "given_on": (datetime.date, ...),
                "kind": (
                    Literal[1, 2, 3],
                    Field(..., description="1 observed, 2 take-home, 3 did not come"),
                ),
                "dose_mg": (float | None, Field(default=None, gt=0, lt=10_000)),
            },
        ),
        Kind(
            path="referrals",
            model=Referral,
            id_param="referral_id",
            # The workflow (send, accept, close) is the referral page's; the API reads.
            fields=(
                "from_organisation",
                "to_organisation",
                "service_type",
                "state",
                "parts",
                "urgent",
                "sent_on",
                "answer_due_on",
                "answered_on",
                "closed_on",
            ),
        ),
    ]


def _screening_pages() -> dict[str, Any]:
    """The screening pages (``services.kinds``) by their instrument's code."""
    from services import kinds as service_kinds

    return {k.instrument: k for k in service_kinds.KINDS.values() if k.instrument}


def _screening_fields() -> dict[str, Any]:
    """A screening's body: the instrument's code and its answers (item code → answer)."""
    item = Annotated[str, StringConstraints(min_length=1, max_length=64)]
    answer = Annotated[str, StringConstraints(max_length=TEXT_MAX)]
    return {
        "instrument": (
            Literal[tuple(sorted(_screening_pages()))],
            Field(..., description="The instrument's code; its latest version is used"),
        ),
        "screened_on": (
            datetime.date | None,
            Field(default=None, description="The day of the screening (default: today)"),
        ),
        "answers": (
            dict[item, answer],
            Field(
                ...,
                max_length=200,
                description="Item code → answer (an option's code, or text), as on paper; "
                "the score, levels and result are computed by the server",
            ),
        ),
    }


def _screening_may_add(user: access.AnyUser, case: Case) -> bool:
    """The page's rule: the verb to add a service record, and a screening offered."""
    from services.capabilities import SERVICE_ADD

    if not access.can(user, SERVICE_ADD, case):
        access.deny(user, SERVICE_ADD, obj=case)
        raise PermissionDenied
    return any(page.offered_to(case.category) for page in _screening_pages().values())


def _screening_create(actor: access.AnyUser, case: Case, body: Any) -> Any:
    """A screening through the page's own form and action: the instrument scores the
    answers; a wrong, missing or unknown answer is refused naming its item."""
    page = _screening_pages()[body.instrument]
    if not page.offered_to(case.category):  # e.g. ASSIST for a trafficking victim
        access.deny(actor, "screenings.add", obj=case, reason="not_offered")
        raise PermissionDenied
    form_class = cast("type[ScreeningForm]", page.form)
    items = {slot.key for slot in form_class.instrument.fields}
    unknown = sorted(set(body.answers) - items)
    problems = {key: ValidationError(_("Not an item of this instrument.")) for key in unknown}
    if problems:
        raise ValidationError(problems)
    screened_on = body.screened_on or timezone.localdate()
    data = {**body.answers, "screened_on": screened_on.isoformat()}
    form = form_class(data, case=case, user=actor)
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    assert page.adder is not None  # noqa: S101 (a screening page saves through its adder)
    return page.adder(actor=actor, form=form)


def _dose_create(actor: access.AnyUser, case: Case, body: Any) -> Any:
    """A dose through the counter's own action: every safety rule of the dosing page."""
    from services.methadone import actions as methadone_actions
    from services.methadone.forms import DoseForm
    from services.models import TreatmentEpisode

    episode = access.visible(actor, TreatmentEpisode, "change").filter(
        pk=body.episode_id, case_id=case.pk
    )
    if not episode.exists():  # another case's episode named under this case
        access.deny(actor, "change", object_type="treatmentepisode", object_id=body.episode_id)
        from django.http import Http404

        raise Http404
    form = DoseForm({"kind": body.kind, "dose_mg": body.dose_mg or "", "day": body.given_on})
    if not form.is_valid():  # the counter's form: the amount's digits, the day
        raise ValidationError(form.errors.as_data())
    return methadone_actions.dose_record(
        actor=actor,
        episode_id=body.episode_id,
        day=form.cleaned_data["day"],
        kind=form.cleaned_data["kind"],
        dose_mg=form.cleaned_data["dose_mg"],
    )


def kinds() -> list[Kind]:
    """Every kind the API gives: the service kinds, then the recipe's, by path."""
    found = _service_kinds()
    found += [k for k in map(recipe_kind, records.registered()) if k is not None]
    paths = [k.path for k in found]
    duplicated = {p for p in paths if paths.count(p) > 1}
    assert not duplicated, f"two record kinds at {duplicated}"  # noqa: S101
    return found


# --- reads and writes ---------------------------------------------------------------------


def rows_page(
    *, viewer: access.AnyUser, kind: Kind, case_id: uuid.UUID, after: Any, limit: int
) -> dict[str, Any]:
    """Return a page of the case's rows the viewer sees (its parts only), by id.

    The case is read as its page reads it (a ``case_read`` event naming the person, or a 404
    and a denial); the rows come through ``access.visible``, so a receiver who was shared
    some parts of the case sees the rows of those parts only. Keyset on the id (no offset,
    no count): the (case, id) lookup an index serves, pages stable while rows are added.
    """
    case = access.get_case_for_user(viewer, case_id, "view")
    rows = access.visible(viewer, kind.model).filter(**{kind.case_path: case.pk})
    if after is not None:
        rows = rows.filter(pk__gt=after)
    rows = _with_related(kind, rows).order_by("pk")
    found = list(rows[: limit + 1])
    more = len(found) > limit
    found = found[:limit]
    return {
        "records": [payload(kind, row) for row in found],
        "cursor": str(found[-1].pk) if found else None,
        "more": more,
    }


def row_read(*, viewer: access.AnyUser, kind: Kind, row_id: Any) -> dict[str, Any]:
    """Return one row the viewer may read (a read event), or a 404 and a denial."""
    rows = _with_related(kind, access.visible(viewer, kind.model))
    row = access.get_for_user(viewer, kind.model, row_id, "view", queryset=rows)
    return payload(kind, row)


def _refused(form: Any) -> ValidationError:
    return ValidationError(form.errors.as_data())


def row_create(
    *, actor: access.AnyUser, kind: Kind, case_id: uuid.UUID, body: Schema
) -> dict[str, Any]:
    """Add a row to a case through the page's form and action (or the kind's own creator).

    Out of the actor's change scope: 404 and a denial; a verb the role lacks: 403; a form's
    refusal or a rule of the action: 422 (``ValidationError``) and nothing saved.
    """
    refuse_unstorable_text(body)
    case = access.get_case_for_user(actor, case_id, "change", record_read=False)
    if kind.may_add is not None and not kind.may_add(actor, case):
        access.deny(actor, f"{kind.operation}.add", obj=case, reason="not_offered")
        raise PermissionDenied
    if kind.create is not None:
        saved = kind.create(actor, case, body)
    else:
        assert kind.form is not None and kind.add is not None  # noqa: S101
        form = kind.form(form_data(kind, body), kind.model(case=case), case, actor)
        if not form.is_valid():
            raise _refused(form)
        saved = kind.add(actor, form)
    return payload(kind, saved)


def row_update(*, actor: access.AnyUser, kind: Kind, row_id: Any, body: Schema) -> dict[str, Any]:
    """Change a row through the page's form and action, at the version the body names (a
    stale one: ``EditConflict``, a 409, nothing saved)."""
    refuse_unstorable_text(body)
    row = access.get_for_user(actor, kind.model, row_id, "change", record_read=False)
    assert kind.form is not None and kind.change is not None  # noqa: S101
    case = access.get_case_for_user(actor, _case_id(kind, row), "change", record_read=False)
    form = kind.form(form_data(kind, body), row, case, actor)
    if not form.is_valid():
        raise _refused(form)
    saved = kind.change(actor, form, row, form.opened_version(row))
    return payload(kind, saved)


def record_url(model: type[models.Model], pk: Any) -> str | None:
    """Return the API's address of one row (``/api/v1/<kind>/<id>``), None for a model the
    API does not give: for a change feed that names records by their address."""
    for kind in kinds():
        if kind.model is model:
            return read_url(kind, pk)
    return None


def read_url(kind: Kind, pk: Any) -> str:
    """Return the address of one row of a kind: its read operation's."""
    from django.urls import reverse

    return reverse(f"api:{kind.operation}_read", kwargs={kind.id_param: pk})
