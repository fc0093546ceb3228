"""The load balancer's health page: ok or fail per check, nothing more (decision D47)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe

from . import health


@login_not_required
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when every check passes, else 503; each check only as ok or fail."""
    results = health.run_checks()
    healthy = all(results.values())
    response = JsonResponse(
        {
            "status": "ok" if healthy else "fail",
            "checks": {name: "ok" if passed else "fail" for name, passed in results.items()},
        },
        status=200 if healthy else 503,
    )
    add_never_cache_headers(response)
    return response
