"""The API's operations (/api/v1/): parse input, call one selector or action, answer JSON.

Every operation reaches people and cases through ``cases.access`` (via ``api.selectors``
and the cases actions); views record nothing themselves.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import NinjaAPI, Query, Schema, Swagger
from ninja.responses import Status
from pydantic import Field

from cases import access
from cases import actions as case_actions
from cases import capabilities as caps
from exchange.router import router as exchange_router
from reports import dashboard, suppression
from reports.filters import FiguresForm, default_period

from . import errors, inputs, record_views, selectors, sync
from .auth import ClientToken, VerifiedSession
from .schemas import (
    CaseCreate,
    CaseOut,
    CaseUpdate,
    Error,
    FiguresOut,
    PersonCreate,
    PersonOut,
    PersonUpdate,
    RecordOut,
    SearchIn,
    SearchOut,
)

api = NinjaAPI(
    title="Hòa Nhập API",
    version="1",
    description="Read and write people and cases within the caller's scope; see docs/api.md.",
    urls_namespace="api",
    auth=[ClientToken(), VerifiedSession()],
    docs=Swagger(settings={"persistAuthorization": False}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)
api.add_router("", sync.router)  # GET /changes (D59)
api.add_router("/exchange", exchange_router)  # the exchange document (docs/exchange.md)
api.add_router("", record_views.build())  # the record kinds (D58, api/records.py)

# Every refusal the API gives (docs/api.md, "Errors"), one shape for all.
ERRORS: dict[Any, Any] = {frozenset({400, 401, 403, 404, 409, 422, 429}): Error}


def _require(request: HttpRequest, capability: str) -> None:
    if not access.can(request.user, capability):
        raise PermissionDenied


def _invalid(form: Any) -> ValidationError:
    return ValidationError(form.errors.as_data())


@api.post("/people/search", response={200: SearchOut, **ERRORS}, tags=["people"])
def person_search(request: HttpRequest, body: SearchIn) -> Any:
    """Find people by citizen ID, old ID number, phone or name (+ year), as the search page."""
    _require(request, caps.PERSON_VIEW)
    form = inputs.search_form(body)
    if not form.is_valid():
        raise _invalid(form)
    found = selectors.person_search(
        viewer=request.user,
        kind=form.cleaned_data["kind"],
        query=form.cleaned_data["q"],
        birth_year=form.cleaned_data["birth_year"],
    )
    return {"people": found.people, "more": found.more}


@api.get("/people/{person_id}", response={200: PersonOut, **ERRORS}, tags=["people"])
def person_read(request: HttpRequest, person_id: UUID) -> Any:
    """Read one person (a read event); another scope's person is a 404 and a denial."""
    return selectors.person_read(viewer=request.user, person_id=person_id)


@api.post("/people", response={201: PersonOut, **ERRORS}, tags=["people"])
def person_create(request: HttpRequest, body: PersonCreate) -> Any:
    """Register a person through the registration action (duplicates: 409)."""
    _require(request, caps.PERSON_ADD)
    form = inputs.person_form(request.user, body, None)
    if not form.is_valid():
        raise _invalid(form)
    person = case_actions.person_register(
        actor=request.user,
        data=form.to_data(),
        different_from=[str(pk) for pk in body.different_from],
    )
    return Status(201, selectors.person_payload(person, identity=True))


@api.put("/people/{person_id}", response={200: PersonOut, **ERRORS}, tags=["people"])
def person_update(request: HttpRequest, person_id: UUID, body: PersonUpdate) -> Any:
    """Change a person; a stale ``version`` is a 409 with the current version."""
    person = access.get_person_for_user(request.user, person_id, "change", record_read=False)
    form = inputs.person_form(request.user, body, person)
    if not form.is_valid():
        raise _invalid(form)
    saved = case_actions.person_update(
        actor=request.user, person=person, data=form.to_data(), if_version=body.version
    )
    return selectors.person_payload(saved, identity=True)


@api.get("/cases/{case_id}", response={200: CaseOut, **ERRORS}, tags=["cases"])
def case_read(request: HttpRequest, case_id: UUID) -> Any:
    """Read one case (a read event); out of scope: 404 and a denial."""
    return selectors.case_read(viewer=request.user, case_id=case_id)


@api.get("/cases/{case_id}/records", response={200: list[RecordOut], **ERRORS}, tags=["cases"])
def case_records(request: HttpRequest, case_id: UUID) -> Any:
    """The case's records as its timeline lists them (the parts the caller sees)."""
    return selectors.case_records(viewer=request.user, case_id=case_id)


@api.post("/people/{person_id}/cases", response={201: CaseOut, **ERRORS}, tags=["cases"])
def case_create(request: HttpRequest, person_id: UUID, body: CaseCreate) -> Any:
    """Open a case for a person the caller may change."""
    person = access.get_person_for_user(request.user, person_id, "change", record_read=False)
    form = inputs.case_form(request.user, body, person=person)
    if not form.is_valid():
        raise _invalid(form)
    case = case_actions.case_open(actor=request.user, person=person, data=form.to_data())
    return Status(201, selectors.case_payload(case, parts=access.ALL))


@api.put("/cases/{case_id}", response={200: CaseOut, **ERRORS}, tags=["cases"])
def case_update(request: HttpRequest, case_id: UUID, body: CaseUpdate) -> Any:
    """Change a case; a stale ``version`` is a 409 with the current version."""
    case = access.get_case_for_user(request.user, case_id, "change", record_read=False)
    form = inputs.case_form(request.user, body, case=case)
    if not form.is_valid():
        raise _invalid(form)
    saved = case_actions.case_update(
        actor=request.user, case=case, data=form.to_data(), if_version=body.version
    )
    return selectors.case_payload(saved, parts=access.ALL)


class FiguresQuery(Schema):
    unit: str | None = Field(default=None, max_length=10)
    period: str | None = Field(default=None, max_length=10)
    year: int | None = Field(default=None, ge=1900, le=2100)
    quarter: int | None = Field(default=None, ge=1, le=4)
    half: int | None = Field(default=None, ge=1, le=2)
    start: str | None = Field(default=None, max_length=10)
    end: str | None = Field(default=None, max_length=10)


@api.get("/figures", response={200: FiguresOut, **ERRORS}, tags=["figures"])
def figures(request: HttpRequest, filters: Query[FiguresQuery]) -> Any:
    """The coverage figures of a unit and period, suppressed exactly as on the dashboard."""
    _require(request, caps.FIGURES_VIEW)
    unit = dashboard.unit_for_figures(request.user, filters.unit)
    asked = {k: v for k, v in filters.model_dump().items() if v is not None and k != "unit"}
    if asked:
        form = FiguresForm({"unit": unit.code, **asked})
        if not form.is_valid():
            raise _invalid(form)
        period = form.period_value()
    else:
        period = default_period()
    groups = dashboard.dashboard(viewer=request.user, unit=unit, period=period, breakdown=None)
    lines = []
    for view in groups:
        for line in view.lines:
            table = line.table
            lines.append(
                {
                    "indicator": line.indicator.code,
                    "name": str(line.indicator.name),
                    "group": line.indicator.group,
                    "total": _cell(line.total),
                    "target": line.target,
                    "status": line.status.code,
                    "rows": [
                        {
                            "unit": row.code,
                            "label": row.label,
                            "figure": _cell(
                                dashboard.cell_figure(request.user, table, row.unit_id, None)
                            ),
                        }
                        for row in table.rows
                    ],
                }
            )
    return {
        "unit": unit.code,
        "period_start": period.start,
        "period_end": period.end,
        "exact": dashboard.in_own_scope(request.user, unit),
        "k": suppression.small_cell_k(),
        "lines": lines,
    }


def _cell(figure: dashboard.Figure) -> dict[str, Any]:
    return {"text": figure.text, "number": figure.number, "suppressed": figure.suppressed}
