"""The import page: upload, progress, problems, decisions on matches, the real run."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.capabilities import can
from cases import access

from . import selectors, storage, uploads
from .capabilities import REGISTER_IMPORT
from .checking import Problem
from .format import SHEETS, sheet_by_name
from .forms import UploadForm
from .models import STALLED_MINUTES, ImportStatus
from .rejected import rejected_rows_xlsx
from .template_files import template_csv, template_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RUNNING = {ImportStatus.QUEUED, ImportStatus.RUNNING}


def _importer(request: HttpRequest) -> Any:
    if not can(request.user, REGISTER_IMPORT):
        access.deny(request.user, REGISTER_IMPORT, object_type="registerimport")
        raise PermissionDenied
    return request.user


@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    user = _importer(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        row = uploads.import_queue(
            actor=user,
            source=upload,
            file_name=upload.name,
            dry_run=form.cleaned_data["dry_run"],
            decisions={},
        )
        return redirect("registers:import_detail", import_id=row.pk)
    imports = selectors.imports_of(viewer=user)
    return render(
        request,
        "registers/import_start.html",
        {"form": form, "imports": imports, "sheets": SHEETS},
    )


@require_http_methods(["GET"])
def import_detail(request: HttpRequest, import_id: UUID) -> HttpResponse:
    user = _importer(request)
    row = selectors.import_for_user(viewer=user, import_id=import_id)
    report = json.loads(row.report) if row.report else {}
    candidates: dict[str, list[dict[str, Any]]] = {}
    for match in report.get("candidates", []):
        candidates.setdefault(match["person_key"], []).append(match)
    total = max(row.rows_total, 1)
    context = {
        "row": row,
        "running": row.status in RUNNING and not row.stalled,
        "stopped": row.stalled or row.status == ImportStatus.FAILED,
        "percent": min(100, round(100 * row.rows_done / total)) if row.rows_total else None,
        "problems": report.get("problems", []),
        "notices": report.get("notices", []),
        "rows": report.get("rows", {}),
        "candidates": candidates,
        "may_run": row.status == ImportStatus.CHECKED,
        "stalled_minutes": getattr(settings, "REGISTER_IMPORT_STALLED_MINUTES", STALLED_MINUTES),
    }
    return render(request, "registers/import_detail.html", context)


@require_http_methods(["POST"])
def import_run(request: HttpRequest, import_id: UUID) -> HttpResponse:
    user = _importer(request)
    previous = selectors.import_for_user(viewer=user, import_id=import_id)
    report = json.loads(previous.report) if previous.report else {}
    keys = {match["person_key"] for match in report.get("candidates", [])}
    decisions = {key: request.POST.get(f"decision-{key}", "") for key in sorted(keys)}
    if any(not value for value in decisions.values()):
        messages.error(request, _("Decide for each possible match before importing."))
        return redirect("registers:import_detail", import_id=previous.pk)
    if not storage.exists(str(previous.pk)):
        messages.error(request, _("The file is no longer kept: upload it again."))
        return redirect("registers:import_start")
    row = uploads.import_again(actor=user, previous=previous, dry_run=False, decisions=decisions)
    return redirect("registers:import_detail", import_id=row.pk)


@require_http_methods(["POST"])
def import_retry(request: HttpRequest, import_id: UUID) -> HttpResponse:
    user = _importer(request)
    previous = selectors.import_for_user(viewer=user, import_id=import_id)
    if not storage.exists(str(previous.pk)):
        messages.error(request, _("The file is no longer kept: upload it again."))
        return redirect("registers:import_start")
    try:
        row = uploads.import_retry(actor=user, previous=previous)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("registers:import_detail", import_id=previous.pk)
    return redirect("registers:import_detail", import_id=row.pk)


@require_http_methods(["GET"])
def import_rejected(request: HttpRequest, import_id: UUID) -> HttpResponse:
    user = _importer(request)
    row = selectors.import_for_user(viewer=user, import_id=import_id)
    report = json.loads(row.report) if row.report else {}
    problems = [Problem(**each) for each in report.get("problems", [])]
    if not storage.exists(str(row.pk)) or not problems:
        messages.error(request, _("There are no rejected rows to download."))
        return redirect("registers:import_detail", import_id=row.pk)
    handle, name = tempfile.mkstemp(suffix=".xlsx", dir=storage.directory())
    os.close(handle)
    target = Path(name)
    try:
        source = storage.load(str(row.pk), row.data_key, row.file_name)
        rejected_rows_xlsx(source=source, problems=problems, target=target)
        content = target.read_bytes()
    finally:
        target.unlink()
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="dong-bi-tu-choi.xlsx"'
    return response


@require_http_methods(["GET"])
def template_download(request: HttpRequest) -> HttpResponse:
    user = _importer(request)
    response = HttpResponse(template_xlsx(user=user), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="mau-so-dang-ky.xlsx"'
    return response


@require_http_methods(["GET"])
def template_csv_download(request: HttpRequest, sheet: str) -> HttpResponse:
    _importer(request)
    found = sheet_by_name(sheet)
    if found is None:
        return HttpResponse(status=404)
    response = HttpResponse(template_csv(found.key), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{found.key}.csv"'
    return response
