"""The exchange document ("liên thông"): one person as another system receives them.

Version 1 of the format, as pydantic models; the JSON Schema committed as
``docs/exchange/person-v1.schema.json`` is generated from them (``manage.py exchange_schema``).
Units are named by their national codes and organisations by name and unit code, never by
this instance's ids; people, cases and records keep the source's ids so a receiver can tell
a later version of the same object from a new one. A document is signed by its source
(``exchange.signing``) over its canonical form (``canonical``).
"""

from __future__ import annotations

import datetime
import json
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

FORMAT = "hoa-nhap.person"
FORMAT_VERSION = 1
MAX_RECORDS = 2000  # of one kind, per case: far more than any case holds


def _storable(value: str) -> str:
    """Refuse text no database or cipher takes: a NUL byte or a lone surrogate."""
    if "\x00" in value:
        raise ValueError("text holds a NUL character")
    value.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError (a ValueError)
    return value


Text10 = Annotated[str, Field(max_length=10), AfterValidator(_storable)]
Text20 = Annotated[str, Field(max_length=20), AfterValidator(_storable)]
Text200 = Annotated[str, Field(max_length=200), AfterValidator(_storable)]
Text255 = Annotated[str, Field(max_length=255), AfterValidator(_storable)]
Text400 = Annotated[str, Field(max_length=400), AfterValidator(_storable)]


Code = Annotated[str, Field(pattern=r"^[0-9]{2,10}$", description="A national unit code")]
Choice = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9_.-]{0,30}$", description="A code of this format")
]
Version = Annotated[int, Field(ge=1, le=2_000_000_000)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExchangeOrganisation(_Part):
    """An organisation as another system can know it: its name and its unit's code."""

    name: Text255
    unit: Code


class ExchangeIdentity(_Part):
    """Who the person is: carried only where the source shows it to the caller."""

    full_name: Text200
    aliases: Text400
    citizen_id: Text20
    old_id_number: Text20
    birth_date: Text20
    phone: Text20
    address: Text400
    family_contact: Text400


class ExchangePerson(_Part):
    id: UUID
    version: Version
    sex: Choice
    birth_year: int = Field(ge=1900, le=2100)
    birth_year_estimated: bool
    ethnicity: Choice
    residence_commune: Code
    identity: ExchangeIdentity | None = Field(
        description="Null where the source would not show who the person is (masking)"
    )


class ExchangeTransfer(_Part):
    """The person's move to a commune the source recorded and nobody there has accepted."""

    to_commune: Code
    moved_on: datetime.date


class ExchangeScreening(_Part):
    """A screening's result (the answers do not travel)."""

    id: UUID
    version: Version
    instrument: Choice
    instrument_version: Text10
    screened_on: datetime.date
    score: int | None = Field(ge=0, le=1000)
    level: Choice
    injecting: Choice


class ExchangeEpisode(_Part):
    id: UUID
    version: Version
    modality: Choice
    provider: ExchangeOrganisation
    started_on: datetime.date
    planned_end_on: datetime.date | None
    ended_on: datetime.date | None
    outcome: Choice


class ExchangeService(_Part):
    """A service planned or delivered (its note and amount do not travel)."""

    id: UUID
    version: Version
    service_type: Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,50}$")]
    status: Choice
    due_on: datetime.date | None
    delivered_on: datetime.date | None
    provider: ExchangeOrganisation | None


class ExchangeReferral(_Part):
    """A referral's course and outcome as a state (its reason and free text do not travel)."""

    id: UUID
    version: Version
    service_type: Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,50}$")]
    state: Choice
    from_organisation: ExchangeOrganisation
    to_organisation: ExchangeOrganisation
    sent_on: datetime.date | None
    answered_on: datetime.date | None
    closed_on: datetime.date | None


class ExchangeCase(_Part):
    id: UUID
    version: Version
    category: Choice
    status: Choice
    managed_record: bool
    opened_on: datetime.date
    closed_on: datetime.date | None
    organisation: ExchangeOrganisation
    screenings: list[ExchangeScreening] = Field(max_length=MAX_RECORDS)
    episodes: list[ExchangeEpisode] = Field(max_length=MAX_RECORDS)
    services: list[ExchangeService] = Field(max_length=MAX_RECORDS)
    referrals: list[ExchangeReferral] = Field(max_length=MAX_RECORDS)


class ExchangeSource(_Part):
    instance: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,29}$")] = Field(
        description="The sending instance's name, as the receiver lists it among trusted ones"
    )


class ExchangeSignature(_Part):
    algorithm: Literal["Ed25519"]
    value: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{86}$")] = Field(
        description="Base64url (no padding) of the signature over the canonical document"
    )


class PersonDocument(_Part):
    """One person, their cases and the records of those cases meant to travel."""

    format: Literal["hoa-nhap.person"]
    format_version: Literal[1]
    document_id: UUID
    issued_at: datetime.datetime
    source: ExchangeSource
    person: ExchangePerson
    transfer: ExchangeTransfer | None
    cases: list[ExchangeCase] = Field(max_length=200)
    signature: ExchangeSignature


def canonical(document: dict[str, Any]) -> bytes:
    """Return the bytes a signature covers: the document without its signature, keys
    sorted, no spaces, UTF-8."""
    unsigned = {key: value for key, value in document.items() if key != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def json_schema() -> dict[str, Any]:
    """Return the JSON Schema (2020-12) of the document, as committed in docs/exchange/."""
    schema = PersonDocument.model_json_schema()
    schema["title"] = "Hòa Nhập exchange document: one person (version 1)"
    return schema


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
