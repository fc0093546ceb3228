"""The register export page, a queued export's progress and its download."""

from __future__ import annotations

import tempfile
from uuid import UUID

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from . import export, export_jobs
from .export_forms import ExportForm
from .export_models import ExportStatus
from .export_scope import kinds_for, scope_for, units_for


@require_http_methods(["GET", "POST"])
def export_page(request: HttpRequest) -> HttpResponseBase:
    """Show the export form; a valid POST sends the file, or queues a large one."""
    export.register_export_refuse(request.user)  # 403 and a denial event without the verb
    kinds = kinds_for(request.user)
    form = ExportForm(request.POST or None, kinds=kinds, units=units_for(request.user))
    if request.method == "GET" or not form.is_valid():
        exports = export_jobs.exports_of(request.user)
        return render(request, "registers/export.html", {"form": form, "exports": exports})
    data = form.cleaned_data
    scope = scope_for(request.user, data["kind"], data.get("unit", ""))  # 404 out of scope
    if export_jobs.is_large(request.user, scope):
        row = export_jobs.register_export_queue(
            actor=request.user, scope=scope, out_format=data["out_format"]
        )
        return redirect("registers_export:status", export_id=row.pk)
    out = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it)
    export.register_export(actor=request.user, scope=scope, out_format=data["out_format"], out=out)
    out.seek(0)
    name = export.file_name(scope, data["out_format"])
    content_type = export.CONTENT_TYPES[data["out_format"]]
    return FileResponse(out, as_attachment=True, filename=name, content_type=content_type)


@require_http_methods(["GET"])
def export_status(request: HttpRequest, export_id: UUID) -> HttpResponse:
    """Show how far a queued export has got, and its download link when it is ready."""
    row = export_jobs.export_for_user(request.user, export_id)
    running = row.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)
    return render(request, "registers/export_status.html", {"export": row, "running": running})


@require_http_methods(["GET"])
def export_download(request: HttpRequest, export_id: UUID) -> StreamingHttpResponse:
    """Send a finished export's file to the user who asked for it."""
    row = export_jobs.export_for_user(request.user, export_id)
    chunks = export_jobs.register_export_file(actor=request.user, export=row)
    response = StreamingHttpResponse(chunks, content_type=export.CONTENT_TYPES[row.out_format])
    response["Content-Disposition"] = content_disposition_header(True, row.file_name)
    return response
