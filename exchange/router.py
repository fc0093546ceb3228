"""The exchange's API operation: ``GET /api/v1/exchange/people/{id}`` (a ninja Router the
API mounts in ``api/views.py``; same callers, access, events and errors as every operation)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from . import selectors
from .document import PersonDocument

router = Router(tags=["exchange"])


class ExchangeMessage(Schema):
    vi: str
    en: str


class ExchangeError(Schema):
    """A refusal, in the API's one error shape (docs/api.md, "Errors")."""

    code: str = Field(description="Stable, machine-readable: see docs/api.md")
    message: ExchangeMessage


ERRORS: dict[Any, Any] = {frozenset({400, 401, 403, 404, 422, 429}): ExchangeError}


@router.get("/people/{person_id}", response={200: PersonDocument, **ERRORS})
def exchange_person(request: HttpRequest, person_id: UUID) -> Any:
    """A person's signed exchange document (liên thông): docs/exchange.md."""
    return selectors.person_document(viewer=request.user, person_id=person_id)
