"""API tokens: stored hashed, shown once, refused when expired, revoked, unapproved or
unknown (each refusal an event), rate-limited per client; every call an event naming the
client."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from api import actions, tokens
from api.events import ApiAction
from api.models import ApiClient
from audit.models import Event
from tests.api.support import call, make_client
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _events(action: str) -> list[Event]:
    return list(Event.objects.filter(action=action).order_by("seq"))


def test_a_token_is_kept_only_as_its_hash(world: World) -> None:
    """ASVS 6.4.1 / 11.4.x: the token's secret is never stored; a hash is, compared in
    constant time."""
    client, token = make_client(world)
    row = ApiClient.objects.filter(pk=client.pk).values().get()
    assert token not in str(row.values())
    # The whole secret (it may itself hold "_" or "-": split once past the prefix only).
    secret = token.split("_", 2)[2]
    assert len(secret) == 43
    assert secret not in str(row.values())
    assert row["token_hash"] == tokens.digest(token) != token
    assert tokens.matches(token, row["token_hash"])
    assert not tokens.matches(token[:-1] + ("A" if token[-1] != "A" else "B"), row["token_hash"])


def test_every_call_is_an_event_naming_the_client(world: World, lan_person: object) -> None:
    client, token = make_client(world)
    response = call("get", "/api/v1/people/" + str(lan_person.pk), token)  # type: ignore[attr-defined]
    assert response.status_code == 200, response.content
    called = _events(ApiAction.CALLED)
    assert len(called) == 1
    assert called[0].detail["client"] == str(client.pk)
    assert called[0].actor_id == client.account_id


def test_an_expired_token_is_refused_and_recorded(world: World) -> None:
    """ASVS 7.2.x: an expired token opens nothing; the refusal names the client."""
    client, token = make_client(world)
    ApiClient.objects.filter(pk=client.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = call("get", "/api/v1/changes", token)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    refused = _events(ApiAction.TOKEN_REFUSED)
    assert [(e.detail["reason"], e.detail["client"]) for e in refused] == [
        ("expired", str(client.pk))
    ]
    assert _events(ApiAction.CALLED) == []


def test_a_revoked_token_replayed_is_refused_and_recorded(world: World) -> None:
    """ASVS 7.4.x: after revocation the same token is a 401 and an event naming the client."""
    client, token = make_client(world)
    assert call("get", "/api/v1/changes", token).status_code == 200
    actions.api_client_revoke(actor=world.users["quan"], client=client)
    response = call("get", "/api/v1/changes", token)
    assert response.status_code == 401
    assert response.json()["message"]["vi"] and response.json()["message"]["en"]
    refused = _events(ApiAction.TOKEN_REFUSED)
    assert [(e.detail["reason"], e.detail["client"]) for e in refused] == [
        ("revoked", str(client.pk))
    ]
    assert len(_events(ApiAction.CLIENT_REVOKED)) == 1


def test_a_client_waiting_for_its_second_person_opens_nothing(world: World) -> None:
    """ASVS 8.1 dual control: the creator's token is useless until another person approves."""
    _client, token = make_client(world, approve=False)
    response = call("get", "/api/v1/changes", token)
    assert response.status_code == 401
    assert [e.detail["reason"] for e in _events(ApiAction.TOKEN_REFUSED)] == ["not_approved"]


def test_an_unknown_or_malformed_token_is_refused_and_recorded(world: World) -> None:
    _client, token = make_client(world)
    forged = tokens.make().text
    assert call("get", "/api/v1/changes", forged).status_code == 401
    assert call("get", "/api/v1/changes", "not-a-token").status_code == 401
    wrong_secret = token[:-4] + "abcd"
    assert call("get", "/api/v1/changes", wrong_secret).status_code == 401
    reasons = [e.detail["reason"] for e in _events(ApiAction.TOKEN_REFUSED)]
    assert reasons == ["unknown", "malformed", "unknown"]


def test_a_new_token_replaces_the_old_one(world: World) -> None:
    client, old = make_client(world)
    new = actions.api_token_issue(actor=world.users["quan"], client=client, days=10)
    assert call("get", "/api/v1/changes", old).status_code == 401
    assert call("get", "/api/v1/changes", new).status_code == 200


def test_calls_past_the_rate_limit_are_429_with_one_event(world: World) -> None:
    """ASVS 2.4.1: per-client limits; the refusal is JSON with Retry-After, logged once."""
    client, token = make_client(world, rate=2)
    assert call("get", "/api/v1/changes", token).status_code == 200
    assert call("get", "/api/v1/changes", token).status_code == 200
    third = call("get", "/api/v1/changes", token)
    fourth = call("get", "/api/v1/changes", token)
    if third.status_code == 200:  # the minute turned between calls: one more try
        fourth = call("get", "/api/v1/changes", token)
    assert fourth.status_code == 429
    assert fourth.json()["code"] == "rate_limited"
    assert int(fourth["Retry-After"]) >= 1
    limited = _events(ApiAction.RATE_LIMITED)
    assert len(limited) == 1 and limited[0].detail["client"] == str(client.pk)


def test_only_an_administrator_creates_a_client(world: World) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        make_client(world) if False else actions.api_client_create(
            actor=world.users["lan"],
            name="x-client",
            organisation=world.orgs["clinic_a"],
            scope_unit=world.units["d1"],
            role="caseworker",
            days=30,
        )
    assert not ApiClient.objects.exists()
