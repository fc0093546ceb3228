"""The record kinds' operations (D58): for each kind of ``api.records.kinds()``,

- ``GET /cases/{case_id}/<path>``: the case's rows the caller sees, a page at a time;
- ``GET /<path>/{id}``: one row (a read event; out of scope a 404 and a denial);
- ``POST /cases/{case_id}/<path>``: add one through the page's form and action;
- ``PUT /<path>/{id}``: change one, with ``version`` (stale: 409 with the current one).

The operations are built from the registry, so a record type registered through the
recipe with an ``api`` spec gets them with no code here.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable
from typing import Any

from django.db import models
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from . import records
from .actions import BadCursor
from .schemas import Error

router = Router(tags=["records"])
ERRORS: dict[Any, Any] = {frozenset({400, 401, 403, 404, 409, 422, 429}): Error}


class PageQuery(Schema):
    cursor: str | None = Field(default=None, pattern=r"^[0-9a-f-]{1,36}$")
    limit: int = Field(default=50, ge=1, le=200)


def _cursor(kind: records.Kind, cursor: str | None) -> Any:
    if not cursor:
        return None
    try:
        pk = kind.model._meta.pk
        return int(cursor) if isinstance(pk, models.AutoField) else uuid.UUID(cursor)
    except ValueError:
        raise BadCursor from None


def _typed(func: Callable[..., Any], **params: Any) -> Callable[..., Any]:
    """Give an operation built in a loop the typed signature django-ninja reads."""
    parameters = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    parameters += [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)
        for name, annotation in params.items()
    ]
    func.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return func


def _add_operations(kind: records.Kind) -> None:
    out = records.out_schema(kind)
    page = records.page_schema(kind)
    pk_type = records._python_type(kind.model._meta.pk, out=False)
    listed = f"/cases/{{case_id}}/{kind.path}"
    one = f"/{kind.path}/{{{kind.id_param}}}"
    common: dict[str, Any] = {"include_in_schema": kind.published}

    def list_rows(request: HttpRequest, case_id: uuid.UUID, params: PageQuery) -> Any:
        return records.rows_page(
            viewer=request.user,
            kind=kind,
            case_id=case_id,
            after=_cursor(kind, params.cursor),
            limit=params.limit,
        )

    router.add_api_operation(
        listed,
        ["GET"],
        _typed(list_rows, case_id=uuid.UUID, params=Query[PageQuery]),
        response={200: page, **ERRORS},
        url_name=f"{kind.operation}_list",
        operation_id=f"{kind.operation}_list",
        summary=f"The case's {kind.path} the caller sees, oldest id first",
        **common,
    )

    def read(request: HttpRequest, **ids: Any) -> Any:
        return records.row_read(viewer=request.user, kind=kind, row_id=ids[kind.id_param])

    router.add_api_operation(
        one,
        ["GET"],
        _typed(read, **{kind.id_param: pk_type}),
        response={200: out, **ERRORS},
        url_name=f"{kind.operation}_read",
        operation_id=f"{kind.operation}_read",
        summary=f"One of {kind.path} (a read event; out of scope: 404)",
        **common,
    )

    created = records.in_schema(kind, update=False)
    if created is not None:

        def create(request: HttpRequest, case_id: uuid.UUID, body: Any) -> Any:
            row = records.row_create(actor=request.user, kind=kind, case_id=case_id, body=body)
            return Status(201, row)

        router.add_api_operation(
            listed,
            ["POST"],
            _typed(create, case_id=uuid.UUID, body=created),
            response={201: out, **ERRORS},
            url_name=f"{kind.operation}_create",
            operation_id=f"{kind.operation}_create",
            summary=f"Add one of {kind.path} to the case, as its page does",
            **common,
        )

    updated = records.in_schema(kind, update=True) if kind.form is not None else None
    if updated is not None:

        def update(request: HttpRequest, body: Any, **ids: Any) -> Any:
            return records.row_update(
                actor=request.user, kind=kind, row_id=ids[kind.id_param], body=body
            )

        router.add_api_operation(
            one,
            ["PUT"],
            _typed(update, **{kind.id_param: pk_type}, body=updated),
            response={200: out, **ERRORS},
            url_name=f"{kind.operation}_update",
            operation_id=f"{kind.operation}_update",
            summary=f"Change one of {kind.path}; a stale version is a 409",
            **common,
        )


def build() -> Router:
    """Add every kind's operations to the router (once, when the API is built)."""
    for kind in records.kinds():
        _add_operations(kind)
    return router
