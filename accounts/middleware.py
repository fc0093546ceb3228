"""Require a verified second factor on every page except signing in and enrolling."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django_otp import user_has_device

# The public directory (docs/directory.md): open to everyone, so to a half-signed-in user too.
PUBLIC_PAGES = frozenset(
    {"directory:index", "directory:province", "directory:treatment", "directory:rights"}
)
# Pages a signed-in user may reach before the second factor.
ALLOWED_BEFORE_SECOND_FACTOR = (
    frozenset({"login", "logout", "set_language", "accounts:otp_verify", "accounts:otp_enrol"})
    | PUBLIC_PAGES
)


class SecondFactorRequiredMiddleware:
    """Send a signed-in but unverified user to enrolment or verification."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user: Any = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if match is not None and match.view_name in ALLOWED_BEFORE_SECOND_FACTOR:
            return None
        target = "accounts:otp_verify" if user_has_device(user) else "accounts:otp_enrol"
        return redirect_to_login(request.get_full_path(), reverse(target))
