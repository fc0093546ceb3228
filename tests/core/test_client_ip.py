"""Where a request came from: REMOTE_ADDR, unless a configured reverse proxy forwarded it."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from django.db.models import Max
from django.test import Client, RequestFactory, override_settings

from accounts.events import AccountAction
from audit.models import Event
from core.middleware import client_ip
from tests.accounts.support import password_login
from tests.conftest import World

PROXIES = (ip_network("127.0.0.1/32"), ip_network("10.0.0.0/8"))


def _ip(remote: str, forwarded: str | None = None) -> str | None:
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    request = RequestFactory().get("/", REMOTE_ADDR=remote, headers=headers)
    return client_ip(request)


def _failed_login_ip(forwarded: str) -> str | None:
    client = Client(headers={"X-Forwarded-For": forwarded})
    before = Event.objects.aggregate(top=Max("seq"))["top"] or 0  # events are numbered
    password_login(client, "lan", "not-lans-password")
    [event] = Event.objects.filter(seq__gt=before)
    assert event.action == AccountAction.LOGIN_FAILED
    return event.ip


def test_forwarded_for_from_a_client_is_ignored(world: World) -> None:
    """ASVS 16.2.1: without a trusted proxy a client cannot choose the address the audit
    trail records for it."""
    with override_settings(TRUSTED_PROXIES=()):
        assert _failed_login_ip("203.0.113.7") == "127.0.0.1"


def test_address_forwarded_by_a_trusted_proxy_is_recorded(world: World) -> None:
    """ASVS 16.2.1: behind the configured proxy, events name the client's address."""
    with override_settings(TRUSTED_PROXIES=PROXIES):
        assert _failed_login_ip("203.0.113.7") == "203.0.113.7"
        # A client's own X-Forwarded-For is left of what the proxies appended: skipped.
        assert _failed_login_ip("198.51.100.1, 203.0.113.8, 10.1.2.3") == "203.0.113.8"


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("192.0.2.10", "203.0.113.7", "192.0.2.10"),  # not a proxy: header ignored
        ("127.0.0.1", None, "127.0.0.1"),  # the proxy sent no header
        ("127.0.0.1", "", "127.0.0.1"),
        ("127.0.0.1", "not-an-address", "127.0.0.1"),  # nothing usable: the proxy itself
        ("127.0.0.1", "203.0.113.7, nonsense", "127.0.0.1"),
        ("127.0.0.1", "10.0.0.5, 10.0.0.6", "10.0.0.5"),  # all proxies: the first hop
        ("10.9.9.9", " 2001:db8::1 ", "2001:db8::1"),
        ("::1", "203.0.113.7", "::1"),  # ::1 is not in the list
    ],
)
def test_client_ip_takes_the_right_most_untrusted_address(
    remote: str, forwarded: str | None, expected: str
) -> None:
    """ASVS 16.2.1: only the configured proxies' word is taken, from the right."""
    with override_settings(TRUSTED_PROXIES=PROXIES):
        assert _ip(remote, forwarded) == expected
