"""The document pages: attach (from the case page's "Add…" menu), read, edit, the file itself."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cases import access
from core.edit_page import edit_submit

from . import actions, selectors
from .forms import (
    DocumentAttachForm,
    DocumentDetailsForm,
    DocumentReplaceForm,
    DocumentWithdrawForm,
)
from .models import Document
from .records import DOCUMENTS

# What files.check_upload refuses a file for: shown under the file field.
FILE_REFUSALS = {"empty", "too_large", "type_refused", "type_mismatch", "image_unreadable"}


@require_http_methods(["GET", "POST"])
def document_add(request: HttpRequest, case_id: UUID) -> HttpResponse:
    case = DOCUMENTS.case_to_add_to(request.user, case_id)
    form = DocumentAttachForm(
        request.POST or None, request.FILES or None, instance=Document(case=case)
    )
    if request.method == "POST" and form.is_valid():
        document = _attach(request, form, None)
        if document is not None:
            return redirect("documents:document_detail", document_id=document.pk)
    return render(request, "documents/document_form.html", {"form": form, "case": case})


def _attach(
    request: HttpRequest, form: DocumentAttachForm, record: Model | None
) -> Document | None:
    """Attach the form's file (to the case, or to one of its records); on a refusal, put
    the reason on the form and return None."""
    upload = form.cleaned_data["file"]
    try:
        document = actions.document_attach(
            actor=request.user,
            document=form.instance,
            name=upload.name,
            data=upload.read(),
            record=record,
        )
    except ValidationError as error:
        if getattr(error, "code", None) in FILE_REFUSALS:
            form.add_error("file", error)
        else:  # a rule on a field the form does not show: its messages, above the form
            form.add_error(None, error.messages)
        return None
    messages.success(request, _("The document has been attached."))
    return document


@require_http_methods(["GET", "POST"])
def record_document_add(request: HttpRequest, record_type: str, record_id: UUID) -> HttpResponse:
    record, case = selectors.record_to_attach_to(request.user, record_type, record_id)
    form = DocumentAttachForm(
        request.POST or None, request.FILES or None, instance=Document(case=case)
    )
    if request.method == "POST" and form.is_valid():
        document = _attach(request, form, record)
        if document is not None:
            return redirect("documents:document_detail", document_id=document.pk)
    label = str(record._meta.verbose_name).capitalize()
    context = {"form": form, "case": case, "record": record, "record_label": label}
    return render(request, "documents/document_form.html", context)


@require_GET
def document_detail(request: HttpRequest, document_id: UUID) -> HttpResponse:
    document = access.get_for_user(request.user, Document, document_id)
    context = {
        "document": document,
        "case": document.case,
        "record_link": selectors.record_link(request.user, document),
        "earlier": selectors.earlier_versions(request.user, document),
    }
    return render(request, "documents/document_detail.html", context)


@require_http_methods(["GET", "POST"])
def document_edit(request: HttpRequest, document_id: UUID) -> HttpResponse:
    document = access.get_for_user(request.user, Document, document_id, "change")
    outcome = edit_submit(
        request,
        DocumentDetailsForm(request.POST or None, instance=document),
        save=lambda form: actions.document_change(
            actor=request.user, document=form.instance, if_version=form.opened_version(document)
        ),
        rebuild=lambda data, current: DocumentDetailsForm(data, instance=current),
        saved_message=_("The changes have been saved."),
    )
    if outcome.saved:
        return redirect("documents:document_detail", document_id=document.pk)
    context = {
        "form": outcome.form,
        "conflict": outcome.conflict,
        "case": document.case,
        "document": document,
    }
    return render(request, "documents/document_form.html", context)


@require_http_methods(["GET", "POST"])
def document_withdraw(request: HttpRequest, document_id: UUID) -> HttpResponse:
    document = selectors.document_to_change(request.user, document_id)
    form = DocumentWithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.document_withdraw(
                actor=request.user, document=document, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The document has been withdrawn; its file is destroyed."))
            return redirect("documents:document_detail", document_id=document.pk)
    context = {"form": form, "case": document.case, "document": document, "withdraw": True}
    return render(request, "documents/document_form.html", context)


@require_http_methods(["GET", "POST"])
def document_replace(request: HttpRequest, document_id: UUID) -> HttpResponse:
    old = selectors.document_to_change(request.user, document_id, replace=True)
    form = DocumentReplaceForm(
        request.POST or None, request.FILES or None, instance=Document(case=old.case)
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            new = actions.document_replace(
                actor=request.user,
                old=old,
                document=form.instance,
                name=upload.name,
                data=upload.read(),
            )
        except ValidationError as error:
            if getattr(error, "code", None) in FILE_REFUSALS:
                form.add_error("file", error)
            else:
                form.add_error(None, error.messages)
        else:
            messages.success(request, _("The new version has been attached."))
            return redirect("documents:document_detail", document_id=new.pk)
    context = {"form": form, "case": old.case, "document": old, "replace": True}
    return render(request, "documents/document_form.html", context)


@require_GET
def document_file(request: HttpRequest, document_id: UUID) -> HttpResponse:
    return _send(selectors.document_open(viewer=request.user, document_id=document_id))


@require_GET
def document_thumbnail(request: HttpRequest, document_id: UUID) -> HttpResponse:
    opened = selectors.document_open(viewer=request.user, document_id=document_id, thumbnail=True)
    return _send(opened, inline=True)


def _send(opened: selectors.Opened, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(opened.content, content_type=opened.content_type)
    # A download, never rendered by the browser as a page of this site; not kept in caches.
    disposition = "inline" if inline else "attachment"
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
    filename = f"tai-lieu-{opened.document.pk.hex[:8]}.{extension[opened.content_type]}"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
