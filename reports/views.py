"""The figures pages: the dashboard, one indicator by unit, and the people behind a number."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.capabilities import can
from cases import capabilities as caps
from cases.models import AdministrativeUnit, Reorganisation

from . import dashboard, oldmap, registry, rollup, suppression, tables
from .filters import PARAMS, FiguresForm, default_period
from .registry import Indicator, Period


def _require_figures(request: HttpRequest) -> None:
    if not can(request.user, caps.FIGURES_VIEW):
        raise PermissionDenied


def _indicator_or_404(code: str | None) -> Indicator:
    try:
        return registry.get(code or "")
    except KeyError:
        raise Http404 from None


def _params(request: HttpRequest, **changes: str | None) -> dict[str, str]:
    """Return the figures' parameters of this request, with ``changes`` (None: dropped)."""
    kept = {name: request.GET[name] for name in PARAMS if request.GET.get(name)}
    for name, value in changes.items():
        if value is None:
            kept.pop(name, None)
        else:
            kept[name] = value
    return kept


def _url(name: str, params: dict[str, str]) -> str:
    return f"{reverse(name)}?{urlencode(params)}" if params else reverse(name)


def _filters(request: HttpRequest, unit: AdministrativeUnit) -> tuple[FiguresForm, Period | None]:
    """Return the filter form and the period it names (None while the form has errors)."""
    asked = any(name in request.GET for name in PARAMS if name != "unit")
    if not asked:
        return FiguresForm(initial={"unit": unit.code}), default_period()
    form = FiguresForm(request.GET)
    return form, (form.period_value() if form.is_valid() else None)


def _old_map(form: FiguresForm, period: Period | None) -> Reorganisation | None:
    """The reorganisation to show the period before, when the old map is asked for; the
    map choice is dropped from the form when the period has no change of the map (D57)."""
    run = oldmap.reorganisation_for(period) if period is not None else None
    if run is None:
        form.fields.pop("map", None)
        return None
    return run if form.on_old_map() else None


def _breakdown(form: FiguresForm) -> str | None:
    return (form.cleaned_data.get("breakdown") or None) if form.is_bound else None


def _context(
    request: HttpRequest, unit: AdministrativeUnit, view: str, **extra: str
) -> dict[str, Any]:
    """Return what every figures page shows: the breadcrumb and the drill-down links."""
    viewer = request.user

    def link(code: str) -> str:
        return _url(view, _params(request, unit=code) | extra)

    return {
        "unit": unit,
        "breadcrumb": [(u, link(u.code)) for u in dashboard.breadcrumb(viewer, unit)],
        "children": [(row, link(row.code)) for row in dashboard.children_of(unit)],
        "exact": dashboard.in_own_scope(viewer, unit),
        "k": suppression.small_cell_k(),
    }


def _people_url(request: HttpRequest, unit: AdministrativeUnit) -> dashboard.PeopleUrl:
    def url(code: str, row: str | None, key: str | None) -> str:
        extra = {"indicator": code, "row": row or "", "key": key or "", "unit": unit.code}
        return _url("reports:people", _params(request) | {k: v for k, v in extra.items() if v})

    return url


@require_http_methods(["GET"])
def figures_dashboard(request: HttpRequest) -> HttpResponse:
    """Show every indicator for a unit and a period, grouped, with targets and status."""
    _require_figures(request)
    unit = dashboard.unit_for_figures(request.user, request.GET.get("unit"))
    form, period = _filters(request, unit)
    old_map = _old_map(form, period)
    groups = None
    with rollup.watch() as behind:
        if period is not None:
            groups = dashboard.dashboard(
                viewer=request.user,
                unit=unit,
                period=period,
                breakdown=_breakdown(form),
                # The people lists are of today's map: no links on the old one.
                people_url=None if old_map else _people_url(request, unit),
                old_map=old_map,
            )
    detail = _params(request, unit=unit.code)
    sections = [
        (
            view,
            [
                (line, _url("reports:indicator", detail | {"code": line.indicator.code}))
                for line in view.lines
            ],
        )
        for view in groups or []
    ]
    context = _context(request, unit, "reports:dashboard") | {
        "form": form,
        "period": period,
        "sections": sections,
        "shown": groups is not None,
        "period_label": tables.period_label(period) if period else "",
        "behind_since": behind.since,
        "old_map": old_map,
        "old_rows": (
            [row.label for row in groups[0].lines[0].table.rows] if old_map and groups else []
        ),
    }
    return render(request, "reports/dashboard.html", context)


@require_http_methods(["GET"])
def indicator_page(request: HttpRequest) -> HttpResponse:
    """Show one indicator by the unit's children: table, target vs actual, quarterly trend."""
    _require_figures(request)
    indicator = _indicator_or_404(request.GET.get("code"))
    unit = dashboard.unit_for_figures(request.user, request.GET.get("unit"))
    form, period = _filters(request, unit)
    form.fields.pop("map", None)  # one indicator is shown on today's map only (D57)
    detail = None
    with rollup.watch() as behind:
        if period is not None:
            detail = dashboard.indicator_detail(
                viewer=request.user,
                indicator=indicator,
                unit=unit,
                period=period,
                breakdown=_breakdown(form),
                people_url=_people_url(request, unit),
            )
    context = _context(request, unit, "reports:indicator", code=indicator.code) | {
        "form": form,
        "indicator": indicator,
        "detail": detail,
        "period_label": tables.period_label(period) if period else "",
        "back": _url("reports:dashboard", _params(request, unit=unit.code)),
        "behind_since": behind.since,
    }
    links = {row.code: link for row, link in context["children"]}
    context["rows"] = [(r, links.get(r.row.code)) for r in (detail.rows if detail else [])]
    return render(request, "reports/dashboard_indicator.html", context)


@require_http_methods(["GET"])
def people_page(request: HttpRequest) -> HttpResponse:
    """List the people behind one number whom the viewer may see (an audited read)."""
    _require_figures(request)
    indicator = _indicator_or_404(request.GET.get("indicator"))
    unit = dashboard.unit_for_figures(request.user, request.GET.get("unit"))
    form, period = _filters(request, unit)
    found = None
    if period is not None:
        found = dashboard.people_behind(
            viewer=request.user,
            indicator=indicator,
            unit=unit,
            period=period,
            breakdown=_breakdown(form),
            row_code=request.GET.get("row") or None,
            key=request.GET.get("key") or None,
            page=request.GET.get("page"),
        )
    pager = _params(request) | {
        k: request.GET[k] for k in ("indicator", "row", "key") if request.GET.get(k)
    }
    context = {
        "form": form,
        "indicator": indicator,
        "unit": unit,
        "found": found,
        "period_label": tables.period_label(period) if period else "",
        "pager": urlencode(pager),
        "back": _url("reports:indicator", _params(request) | {"code": indicator.code}),
    }
    return render(request, "reports/dashboard_people.html", context)
