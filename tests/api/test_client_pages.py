"""The administrators' API client pages: create (token shown once, role waiting for a second
person), a new token, revocation; nobody else reaches them."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from api.events import ApiAction
from api.models import ApiClient
from audit.models import Event
from cases.models import RoleChangeRequest
from cases.roles import role_requests_for
from tests.api.support import call
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _form(world: World, **overrides: str) -> dict[str, str]:
    data = {
        "name": "bo-ldtbxh",
        "organisation": str(world.orgs["social"].pk),
        "scope_unit": str(world.units["province"].pk),
        "role": "supervisor",
        "days": "30",
        "rate_per_minute": "60",
    }
    return data | overrides


def _token(html: str) -> str:
    found = re.search(r"hn_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", html)
    assert found is not None, html
    return found.group(0)


def test_an_administrator_creates_a_client_and_sees_its_token_once(world: World) -> None:
    quan = world.client("quan")
    response = quan.post("/api-clients/", _form(world))
    assert response.status_code == 200
    html = response.content.decode()
    token = _token(html)
    assert 'data-testid="pending-note"' in html
    client = ApiClient.objects.get()
    assert client.token_hash != token and token not in str(ApiClient.objects.values().get())
    assert Event.objects.filter(action=ApiAction.CLIENT_CREATED).count() == 1
    # Shown once: the list never shows it again.
    assert token not in quan.get("/api-clients/").content.decode()
    # Useless until a second person approves the role on the approvals page.
    assert call("get", "/api/v1/changes", token).status_code == 401
    request = RoleChangeRequest.objects.get(user=client.account)
    hoa = world.client("hoa")
    decided = hoa.post(
        reverse("cases:role_request_decide", args=[request.pk]),
        {"decision": "approve", "confirm": "on"},
    )
    assert decided.status_code == 302
    assert call("get", "/api/v1/changes", token).status_code == 200


def test_the_creator_cannot_approve_his_own_client(world: World) -> None:
    """ASVS 8.1 dual control: the administrator who made the client never approves it."""
    world.client("quan").post("/api-clients/", _form(world))
    client = ApiClient.objects.get()
    request = RoleChangeRequest.objects.get(user=client.account)
    assert not role_requests_for(world.users["quan"]).filter(pk=request.pk).exists()


def test_a_new_token_and_revocation_through_the_page(world: World) -> None:
    quan = world.client("quan")
    quan.post("/api-clients/", _form(world))
    client = ApiClient.objects.get()
    renewed = quan.post(f"/api-clients/{client.pk}/token", {"days": "10"})
    assert renewed.status_code == 200
    new = _token(renewed.content.decode())
    client.refresh_from_db()
    assert client.token_prefix in new
    revoked = quan.post(f"/api-clients/{client.pk}/revoke")
    assert revoked.status_code == 302
    client.refresh_from_db()
    assert client.revoked_at is not None and client.revoked_by == world.users["quan"]


@pytest.mark.parametrize("who", ["lan", "hoa", "an"])
def test_nobody_else_reaches_the_pages(world: World, who: str) -> None:
    page = world.client(who)
    assert page.get("/api-clients/").status_code == 403
    assert page.post("/api-clients/", _form(world)).status_code == 403
    assert not ApiClient.objects.exists()
