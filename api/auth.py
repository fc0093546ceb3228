"""Who calls: an API client with its bearer token, or a signed-in user past the second factor.

A token's call is checked and recorded by ``actions.api_call_begin`` (an ``api_called``
event naming the client, or an ``api_token_refused`` one); the request then acts as the
client's service account, so ``cases.access`` applies its role's rules unchanged. A session
call is checked for CSRF on unsafe methods, as a form would be.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from .actions import api_call_begin


class ClientToken(HttpBearer):
    """``Authorization: Bearer hn_…``: an API client's token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        client = api_call_begin(token=token, method=request.method or "", path=request.path)
        request.user = client.account
        request.api_client = client  # type: ignore[attr-defined]
        return client


class VerifiedSession(APIKeyCookie):
    """The signed-in session of a user who passed the second factor (CSRF on unsafe methods)."""

    param_name = "sessionid"

    def __call__(self, request: HttpRequest) -> Any:
        user: Any = request.user
        if not user.is_authenticated or not user.is_verified():
            return None
        if check_csrf(request) is not None:
            raise HttpError(403, "CSRF check failed")
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return None  # never reached: __call__ decides
