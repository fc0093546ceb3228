"""Carry where a request came from to the audit record, without passing the request around.

The middleware sets the context for the duration of a request; commands and tests run
without one and their events carry no IP, user agent or request id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.http import HttpRequest, HttpResponse

from core.middleware import client_ip

USER_AGENT_MAX = 255


@dataclass
class RequestContext:
    ip: str | None = None
    user_agent: str = ""
    request_id: str = ""
    request: HttpRequest | None = None
    # Emergency grants that unlocked something on this page, for the banner.
    emergency_grants: list[object] = field(default_factory=list)


_current: ContextVar[RequestContext | None] = ContextVar("hoa_nhap_request", default=None)


def current() -> RequestContext:
    """Return the current request's context, or an empty one outside a request."""
    return _current.get() or RequestContext()


@contextmanager
def bound(context: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def acting_user() -> object | None:
    """Return the signed-in user of the current request, if any."""
    request = current().request
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None


def from_request(request: HttpRequest) -> RequestContext:
    return RequestContext(
        ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:USER_AGENT_MAX],
        request_id=getattr(request, "request_id", ""),
        request=request,
    )


class AuditContextMiddleware:
    """Bind the request's IP, user agent and request id for the events it records."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with bound(from_request(request)):
            return self.get_response(request)
