"""Structured (JSON) logs: one access line per request, and the application's own lines,
each with the request id, the user's id and the route's name (decision D47).

Never a name, an identifier or an invitation token: the access line carries the route's
name, not the path (which holds ids and tokens), and every line's text is scrubbed of what
looks like one (a UUID, a long token, a run of nine digits or more: citizen IDs, phone
numbers) before it is written, whoever wrote it (Django's "Not Found: /people/<id>/", a
library's exception text).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

access_logger = logging.getLogger("hoa_nhap.requests")

_current: ContextVar[HttpRequest | None] = ContextVar("hoa_nhap_log_request", default=None)

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_SCRUB = [
    (re.compile(_UUID), "<id>"),
    (re.compile(r"[A-Za-z0-9_-]{20,}"), "<token>"),
    (re.compile(r"\d{9,}"), "<number>"),
]  # fmt: skip


def scrub(text: str) -> str:
    """Replace what looks like an identifier, a token or an ID number."""
    for pattern, replacement in _SCRUB:
        text = pattern.sub(replacement, text)
    return text


def _user_id(request: HttpRequest) -> int | str | None:
    # Only a user already loaded: a log line must not query the database.
    user = request.__dict__.get("user")
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None


def request_fields(request: HttpRequest | None) -> dict[str, Any]:
    """Return the request id, the user's id and the route's name (None when unknown)."""
    if request is None:
        return {"request_id": None, "user_id": None, "view": None}
    match = getattr(request, "resolver_match", None)
    return {
        "request_id": getattr(request, "request_id", None),
        "user_id": _user_id(request),
        "view": match.view_name if match is not None else None,
    }


def _request_of(record: logging.LogRecord) -> HttpRequest | None:
    request = getattr(record, "request", None)
    return request if isinstance(request, HttpRequest) else _current.get()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, scrubbed message, request fields."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(message),
            # Django logs a 4xx or 5xx after the middleware has finished, with the request.
            **request_fields(_request_of(record)),
        }
        for key in ("method", "status", "duration_ms"):
            if hasattr(record, key):
                line[key] = getattr(record, key)
        return json.dumps(line, ensure_ascii=False)


class RequestLogMiddleware:
    """Make the request known to log lines written during it, and write its access line."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current.set(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            access_logger.info(
                "request",
                extra={
                    "method": request.method,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            _current.reset(token)
