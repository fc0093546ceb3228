"""Structured JSON logs (issue 31, decision D47): every line carries the request id, the
user's id and the route's name, and no line holds a name, an identifier or a token.

The log scan: requests about people (a record, a refused record, a search by name, an
invitation link) are made with the JSON formatter attached, and the whole output is
searched for what must not be there.

ASVS 16.2.5 (sensitive data is not logged, or is protected), 16.2.1 (each entry holds what
an investigation needs: when, who, which request).
"""

from __future__ import annotations

import io
import json
import logging
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import reverse

from cases.models import Person
from core.logs import JsonFormatter, scrub
from tests.conftest import World

Lines = Callable[[], tuple[str, list[dict[str, Any]]]]


@pytest.fixture
def json_log() -> Iterator[Lines]:
    """Attach the production formatter to the root logger; return (text, parsed lines)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root, access = logging.getLogger(), logging.getLogger("hoa_nhap.requests")
    levels = root.level, access.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    access.setLevel(logging.INFO)

    def read() -> tuple[str, list[dict[str, Any]]]:
        text = stream.getvalue()
        return text, [json.loads(line) for line in text.splitlines() if line.strip()]

    yield read
    root.removeHandler(handler)
    root.setLevel(levels[0])
    access.setLevel(levels[1])


def test_the_access_line_has_request_id_user_id_and_route_name_not_the_path(
    world: World, lan_person: Person, json_log: Lines
) -> None:
    lan = world.client("lan")
    response = lan.get(reverse("cases:person_detail", args=[lan_person.id]))
    assert response.status_code == 200
    _text, lines = json_log()
    [access] = [line for line in lines if line["logger"] == "hoa_nhap.requests"]
    assert access == {
        "time": access["time"],
        "level": "INFO",
        "logger": "hoa_nhap.requests",
        "message": "request",
        "request_id": response["X-Request-ID"],
        "user_id": world.users["lan"].pk,
        "view": "cases:person_detail",
        "method": "GET",
        "status": 200,
        "duration_ms": access["duration_ms"],
    }


def test_the_log_scan_finds_no_name_identifier_or_token(
    world: World, lan_person: Person, tuan_person: Person, json_log: Lines
) -> None:
    lan = world.client("lan")
    lan.get(reverse("cases:person_detail", args=[lan_person.id]))
    refused = lan.get(reverse("cases:person_detail", args=[tuan_person.id]))
    assert refused.status_code == 404  # logged by the access layer and by Django
    lan.get(reverse("cases:person_search"), {"q": "Lê Văn Cường 014085000456"})
    token = secrets.token_urlsafe(32)
    lan.get(reverse("cases:staff_welcome_open", args=[token]))
    logging.getLogger("hoa_nhap.test").warning("looked up %s", "014085000456")

    text, lines = json_log()
    loggers = {line["logger"] for line in lines}
    assert {"hoa_nhap.requests", "hoa_nhap.access", "django.request"} <= loggers
    for secret in (
        str(tuan_person.id), tuan_person.id.hex, str(lan_person.id), token,
        "Lê Văn Cường", "Cường", "014085000456",
    ):  # fmt: skip
        assert secret not in text, secret
    # The refusal's own lines still say which request and who: enough to find the event.
    [denied] = [
        line
        for line in lines
        if line["logger"] == "hoa_nhap.access" and "perm=view" in line["message"]
    ]
    assert denied["request_id"] == refused["X-Request-ID"]
    assert denied["user_id"] == world.users["lan"].pk
    assert denied["view"] == "cases:person_detail"
    [not_found] = [line for line in lines if line["logger"] == "django.request"]
    assert not_found["message"] == "Not Found: /people/<id>/"
    assert not_found["request_id"] == refused["X-Request-ID"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("person=3f2c1e0a-9b8d-4c7e-a6f5-0123456789ab", "person=<id>"),
        ("/staff/welcome/Zq3_kP-9xYwV2mN8rT5uL1oA7sD4fG6hJ0eC/", "/staff/welcome/<token>/"),
        ("citizen 010191000123 phone 0987654321", "citizen <number> phone <number>"),
        ("dose 60 mg on 2026-12-06", "dose 60 mg on 2026-12-06"),
    ],
)  # fmt: skip
def test_scrub_removes_identifiers_and_keeps_ordinary_text(text: str, expected: str) -> None:
    assert scrub(text) == expected
