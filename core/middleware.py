"""Request-wide plumbing: the request id, the client's address, and never caching the
pages of a signed-in user."""

import logging
import re
import uuid
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address, ip_address

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

_VALID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
logger = logging.getLogger("hoa_nhap.proxy")


class RequestIdMiddleware:
    """Take a well-formed X-Request-ID from the proxy or make one, and echo it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Only a trusted proxy may name the request: a client could otherwise tie its request
        # to another request's history rows and events.
        incoming = request.headers.get("X-Request-ID", "") if settings.TRUST_REQUEST_ID else ""
        request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def _address(text: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: IPv4Address | IPv6Address) -> bool:
    return any(address in network for network in settings.TRUSTED_PROXIES)


# What the reverse proxy says about the request it forwards: the scheme (HTTPS or not,
# SECURE_PROXY_SSL_HEADER), the host and port the client asked for (USE_X_FORWARDED_HOST).
FORWARDED_HEADERS = {
    "HTTP_X_FORWARDED_PROTO": "X-Forwarded-Proto",
    "HTTP_X_FORWARDED_HOST": "X-Forwarded-Host",
    "HTTP_X_FORWARDED_PORT": "X-Forwarded-Port",
}


class UntrustedProxyHeadersMiddleware:
    """Drop X-Forwarded-Proto, -Host and -Port unless the connection comes from a proxy in
    HOA_NHAP_TRUSTED_PROXIES (decision D51).

    Django reads SECURE_PROXY_SSL_HEADER from any sender; a client that reaches the
    application directly could otherwise claim HTTPS (no redirect, and its secure cookies
    accepted over plain HTTP) or name the host that redirects point to. Runs before
    SecurityMiddleware, which makes the HTTPS redirect. Each dropped header is logged.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        present = [key for key in FORWARDED_HEADERS if key in request.META]
        if present:
            remote = _address(request.META.get("REMOTE_ADDR", ""))
            if remote is None or not _trusted(remote):
                for key in present:
                    del request.META[key]
                    logger.warning("%s from an untrusted address dropped", FORWARDED_HEADERS[key])
        return self.get_response(request)


def client_ip(request: HttpRequest) -> str | None:
    """Return the client's address: REMOTE_ADDR, or what a trusted proxy says it saw.

    X-Forwarded-For is only read when the connection comes from a proxy named in
    HOA_NHAP_TRUSTED_PROXIES. Each proxy appends the address it received from, so the list
    is read from the right, skipping our own proxies; the first other address is the
    client. Anything left of it was written by the client and is ignored. A malformed entry
    there means the chain cannot be trusted, and the proxy's own address is kept.
    """
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    if remote is None:
        return None
    if not _trusted(remote):
        return str(remote)
    hops = [hop for hop in request.headers.get("X-Forwarded-For", "").split(",") if hop.strip()]
    client = remote
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return str(remote)
        client = address
        if not _trusted(address):
            break
    return str(client)


class NoStoreForSignedInMiddleware:
    """Forbid caching of every response to a signed-in user (personal data, exports)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private
            add_never_cache_headers(response)
        return response


class MethodNotAllowedPageMiddleware:
    """Turn the empty 405 of a form-only address into a page that says what happened.

    A form that failed re-renders at its POST-only address; reloading it, or switching the
    language there, then asks for that address with GET, and the browser showed an empty
    error. The status and the ``Allow`` header stay.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.content:
            return response
        page = render(request, "405.html", status=405)
        page["Allow"] = response.get("Allow", "")
        return page
