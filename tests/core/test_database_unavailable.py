"""A database that cannot be reached, or a lock held too long, answers a clear 503, not a 500.

Issue 26: the user is told in Vietnamese (and English) that the system is briefly
unavailable and that what they did may not be saved. The tests break the real connection
(a port nothing listens on) or hold a real lock from another connection; nothing is mocked.

ASVS 16.5.1 (a generic message on an unexpected error, no internals shown) and 16.5.3 (the
application fails securely when a resource it depends on is unavailable).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.conftest import World

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (a real connection to break)"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _connecting(**changes: Any) -> Iterator[None]:
    """Make the next connections use other settings; restore them and reconnect after."""
    saved = {key: connection.settings_dict.get(key) for key in changes}
    connection.close()
    connection.settings_dict.update(changes)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def _page(client: Client) -> Any:
    client.raise_request_exception = False  # answer as production does, with the handler
    return client.get(reverse("cases:person_search"), HTTP_ACCEPT_LANGUAGE="vi")


def _assert_unavailable(response: Any) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    text = response.content.decode()
    with translation.override("vi"):
        expected = translation.gettext("The system is briefly unavailable")
    assert expected in text and expected != "The system is briefly unavailable"
    assert "Traceback" not in text and "OperationalError" not in text


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_database_that_cannot_be_reached_answers_503_in_vietnamese(world: World) -> None:
    client = world.client("lan")
    assert _page(client).status_code == 200
    with _connecting(HOST="127.0.0.1", PORT=str(_free_port())):
        _assert_unavailable(_page(client))
    assert _page(client).status_code == 200  # back as soon as the database is


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_lock_wait_past_the_bound_answers_503(world: World) -> None:
    client = world.client("lan")
    assert _page(client).status_code == 200
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                # Every signed-in request reads its session first.
                cursor.execute("LOCK TABLE django_session IN ACCESS EXCLUSIVE MODE")
                locked.set()
                release.wait(timeout=60)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        options = dict(connection.settings_dict.get("OPTIONS") or {})
        options["options"] = "-c lock_timeout=300"
        with _connecting(OPTIONS=options):
            _assert_unavailable(_page(client))
    finally:
        release.set()
        holder.join(timeout=60)
    assert _page(client).status_code == 200
