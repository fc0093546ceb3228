"""API clients for tests: created by the administrator, approved by a second person."""

from __future__ import annotations

from typing import Any

from django.test import Client

from api import actions
from api.models import ApiClient
from cases.models import RoleChangeRequest
from cases.roles import role_request_decide
from tests.conftest import World

ROLE_OF = {"caseworker": "clinic_a", "commune_officer": "commune_x", "supervisor": "social"}
SCOPE_OF = {"caseworker": "d1", "commune_officer": "c1", "supervisor": "province"}


def make_client(
    world: World,
    name: str = "bo-test",
    *,
    role: str = "caseworker",
    org: str | None = None,
    scope: str | None = None,
    approve: bool = True,
    rate: int = 120,
    days: int = 30,
) -> tuple[ApiClient, str]:
    """Create a client as quan; hoa (a supervisor of the province) approves its role."""
    created = actions.api_client_create(
        actor=world.users["quan"],
        name=name,
        organisation=world.orgs[org or ROLE_OF[role]],
        scope_unit=world.units[scope or SCOPE_OF[role]],
        role=role,
        days=days,
        rate_per_minute=rate,
    )
    assert created.pending is not None  # a role with case content waits for a second person
    if approve:
        request = RoleChangeRequest.objects.get(pk=created.pending.pk)
        role_request_decide(actor=world.users["hoa"], request=request, approve=True)
    created.client.refresh_from_db()
    return created.client, created.token


def bearer(token: str) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def call(method: str, url: str, token: str, body: Any = None, **extra: Any) -> Any:
    client = Client()
    send = getattr(client, method)
    if body is not None:
        return send(url, body, content_type="application/json", **bearer(token), **extra)
    return send(url, **bearer(token), **extra)
