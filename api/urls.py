"""The API's URLs: /api/v1/… (the operations, the schema and its browsable page)."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver

from .views import api


def _open_to_tokens(patterns: list[Any]) -> list[URLPattern | URLResolver]:
    """Let requests without a session through Django's login redirect: the API answers
    them itself (a token, or 401 in JSON). The second-factor middleware still stops a
    signed-in user who has not passed it."""
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback.login_required = False  # type: ignore[attr-defined]
    return patterns


app_name = "api"
patterns, _app_name, _namespace = api.urls
urlpatterns = _open_to_tokens(list(patterns))
