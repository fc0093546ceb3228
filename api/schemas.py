"""The API's request and response shapes (pydantic, through django-ninja): the OpenAPI
schema is generated from them."""

from __future__ import annotations

import datetime
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

Text = Field(default="", max_length=4000)


class Message(Schema):
    vi: str
    en: str


class FieldError(Schema):
    code: str
    message: str


class Error(Schema):
    """Every refusal: a stable code, the message in Vietnamese and English, and details."""

    code: str = Field(description="Stable, machine-readable: see docs/api.md")
    message: Message
    fields: dict[str, list[FieldError]] | None = None
    current_version: int | None = None
    matches: list[UUID] | None = None
    retry_after: int | None = None


class Identity(Schema):
    full_name: str
    aliases: str
    citizen_id: str
    old_id_number: str
    birth_date: str
    phone: str
    address: str
    family_contact: str


class PersonOut(Schema):
    id: UUID
    version: int
    sex: str
    birth_year: int
    birth_year_estimated: bool
    ethnicity: str
    residence_commune: str = Field(description="Code of the commune the person lives in")
    updated_at: datetime.datetime
    identity: Identity | None = Field(
        description="Null where the pages would not show who the person is (parts, masking)"
    )


class CaseOut(Schema):
    id: UUID
    version: int
    person_id: UUID
    category: str
    status: str
    managed_record: bool
    opened_on: datetime.date
    closed_on: datetime.date | None
    organisation_id: UUID
    assigned_to: str | None = Field(description="Username of the staff member assigned")
    updated_at: datetime.datetime
    notes: str | None = Field(description="Null unless the caller sees every part of the case")


class RecordOut(Schema):
    on: datetime.date
    kind: str
    title: str
    status: str
    overdue: bool
    planned: bool
    url: str


class SearchIn(Schema):
    kind: Literal["citizen_id", "old_id_number", "phone", "name"]
    query: str = Field(min_length=1, max_length=200)
    birth_year: int | None = Field(default=None, ge=1900, le=2100)


class SearchOut(Schema):
    people: list[PersonOut]
    more: bool


class PersonIn(Schema):
    full_name: str = Field(min_length=1, max_length=200)
    aliases: str = Field(default="", max_length=400)
    citizen_id: str = Field(default="", max_length=20)
    old_id_number: str = Field(default="", max_length=20)
    sex: str = Field(max_length=2)
    birth_year: int = Field(ge=1900, le=2100)
    birth_year_estimated: bool = False
    birth_date: datetime.date | None = None
    ethnicity: str = Field(default="", max_length=50)
    phone: str = Field(default="", max_length=20)
    residence_commune: str = Field(max_length=10, description="Commune code")
    address: str = Field(default="", max_length=400)
    family_contact: str = Field(default="", max_length=400)


class PersonCreate(PersonIn):
    different_from: list[UUID] = Field(
        default_factory=list,
        max_length=50,
        description="People a possible_duplicate answer named, confirmed as someone else",
    )


class PersonUpdate(PersonIn):
    version: int = Field(ge=1, le=2_000_000_000, description="The version the change is based on")


class CaseIn(Schema):
    category: str = Field(max_length=30)
    managed_record: bool = False
    status: str = Field(default="open", max_length=20)
    opened_on: datetime.date
    closed_on: datetime.date | None = None
    organisation_id: UUID
    assigned_to: str | None = Field(default=None, max_length=150)
    notes: str = Field(default="", max_length=4000)


class CaseCreate(CaseIn):
    confirm_second_case: bool = False


class CaseUpdate(CaseIn):
    version: int = Field(ge=1, le=2_000_000_000)


class FigureCell(Schema):
    text: str = Field(description="As the page shows it: a number, a share, '< k' or '—'")
    number: float | None = Field(description="Null when suppressed or empty")
    suppressed: bool


class FigureRow(Schema):
    unit: str
    label: str
    figure: FigureCell


class FigureLine(Schema):
    indicator: str
    name: str
    group: str
    total: FigureCell
    target: str | None
    status: str
    rows: list[FigureRow]


class FiguresOut(Schema):
    unit: str
    period_start: datetime.date
    period_end: datetime.date
    exact: bool = Field(description="False where small cells are shown as '< k'")
    k: int
    lines: list[FigureLine]


class ChangeOut(Schema):
    seq: int
    type: str = Field(
        max_length=20,
        description="person, case, or a record kind (screening, episode, service, dose,"
        " referral, or a record type of the recipe)",
    )
    id: str = Field(max_length=40, description="A UUID; a number for doses")
    version: int = Field(description="0: gone (deleted, or no longer in the client's scope)")
    deleted: bool = Field(default=False, description="Gone because it was deleted")
    case_id: UUID | None = Field(default=None, description="A record's case")
    url: str | None = Field(default=None, description="A record's own endpoint")
    person: PersonOut | None = None
    case: CaseOut | None = None


class ChangesOut(Schema):
    changes: list[ChangeOut]
    cursor: str = Field(description="Pass it back as ?cursor= to get what follows")
    more: bool
