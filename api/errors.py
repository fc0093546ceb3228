"""Turn every refusal into the API's JSON error: a stable code and a bilingual message."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from core.editing import EditConflict

from .actions import BadCursor, RateLimited, TokenRefused

MESSAGES: dict[str, Promise] = {
    "unauthenticated": _("Sign in, or send a valid API token (Authorization: Bearer …)."),
    "forbidden": _("Your role may not do this."),
    "not_found": _("Not found, or not yours to see."),
    "invalid": _("The request has errors: see the fields."),
    "edit_conflict": _("Someone else saved this record since your version: fetch it again."),
    "possible_duplicate": _(
        "This person may already be registered: confirm the ids named as someone else."
    ),
    "rate_limited": _("Too many calls this minute: wait and try again."),
    "bad_cursor": _("This cursor was not given to you: start again without one."),
    "csrf": _("The CSRF check failed: send the csrftoken cookie's value as X-CSRFToken."),
}


def message(code: str, text: Any = None) -> dict[str, str]:
    """Return a message in Vietnamese and English."""
    said = text if text is not None else MESSAGES[code]
    with translation.override("vi"):
        vi = str(said)
    with translation.override("en"):
        en = str(said)
    return {"vi": vi, "en": en}


def _fields(error: DjangoValidationError) -> dict[str, list[dict[str, str]]]:
    if not hasattr(error, "error_dict"):
        return {
            "__all__": [{"code": e.code or "invalid", "message": str(m)} for e, m in _each(error)]
        }
    out: dict[str, list[dict[str, str]]] = {}
    for name, errors in error.error_dict.items():
        out[name] = [{"code": e.code or "invalid", "message": str(m)} for e, m in _each(*errors)]
    return out


def _each(*errors: DjangoValidationError) -> list[tuple[DjangoValidationError, str]]:
    found = []
    for error in errors:
        for item in error.error_list:
            text = item.message % item.params if item.params else item.message
            found.append((item, str(text)))
    return found


def install(api: NinjaAPI) -> None:
    """Install the handlers; anything else raised still reaches Django's 500."""

    def respond(request: HttpRequest, status: int, code: str, **extra: Any) -> HttpResponse:
        text = extra.pop("text", None)
        body = {"code": code, "message": message(code, text), **extra}
        return api.create_response(request, body, status=status)

    def on_refused(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, 401, "unauthenticated")

    def on_404(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, 404, "not_found")

    def on_403(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, 403, "forbidden")

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 403:
            return respond(request, 403, "csrf")
        # Django-ninja says so for a body it cannot parse: the same stable code.
        return respond(request, 400 if exc.status_code < 500 else exc.status_code, "invalid")

    def on_invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields: dict[str, list[dict[str, str]]] = {}
        for item in exc.errors:
            loc = [
                str(part)
                for part in item.get("loc", ())
                if part not in ("body", "query", "path", "payload")
            ]
            name = ".".join(loc) or "__all__"
            fields.setdefault(name, []).append(
                {"code": str(item.get("type", "invalid")), "message": str(item.get("msg", ""))}
            )
        return respond(request, 400, "invalid", fields=fields)

    def on_django_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if isinstance(exc, EditConflict):
            current = getattr(exc.current, "version", None)
            return respond(request, 409, "edit_conflict", current_version=current)
        if getattr(exc, "code", None) == "possible_duplicate":
            matches = [m.pk for m in getattr(exc, "matches", [])]
            return respond(request, 409, "possible_duplicate", matches=matches)
        # Well-formed (the schema holds) but refused by the rules the pages apply: 422.
        return respond(request, 422, "invalid", fields=_fields(exc))

    def on_rate(request: HttpRequest, exc: RateLimited) -> HttpResponse:
        response = respond(request, 429, "rate_limited", retry_after=exc.retry_after)
        response["Retry-After"] = str(exc.retry_after)
        return response

    def on_cursor(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, 422, "bad_cursor")

    api.add_exception_handler(TokenRefused, on_refused)
    api.add_exception_handler(AuthenticationError, on_refused)
    api.add_exception_handler(Http404, on_404)
    api.add_exception_handler(PermissionDenied, on_403)
    api.add_exception_handler(HttpError, on_http_error)  # type: ignore[arg-type]
    api.add_exception_handler(NinjaValidationError, on_invalid)  # type: ignore[arg-type]
    api.add_exception_handler(DjangoValidationError, on_django_invalid)  # type: ignore[arg-type]
    api.add_exception_handler(RateLimited, on_rate)  # type: ignore[arg-type]
    api.add_exception_handler(BadCursor, on_cursor)
