"""Forwarded headers count only from the reverse proxy named in HOA_NHAP_TRUSTED_PROXIES."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from django.test import Client, override_settings

PROXIES = (ip_network("127.0.0.1/32"),)
BEHIND_PROXY = {
    "TRUSTED_PROXIES": PROXIES,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_SSL_REDIRECT": True,
    "ALLOWED_HOSTS": ["hoanhap.example.org", "evil.example.net"],
}


def _login_page(remote: str, **headers: str) -> tuple[int, str]:
    with override_settings(**BEHIND_PROXY):
        client = Client(REMOTE_ADDR=remote, headers={"Host": "hoanhap.example.org", **headers})
        response = client.get("/login/")
    return response.status_code, response.get("Location", "")


def test_the_proxy_may_say_https() -> None:
    assert _login_page("127.0.0.1", **{"X-Forwarded-Proto": "https"}) == (200, "")


def test_a_client_cannot_claim_https(caplog: pytest.LogCaptureFixture) -> None:
    """ASVS 4.1.1, 13.1.x: a client that reaches the application directly cannot skip the
    redirect to HTTPS (nor have a session cookie marked for HTTPS sent in clear), and the
    claim is logged."""
    status, location = _login_page("203.0.113.9", **{"X-Forwarded-Proto": "https"})
    assert (status, location) == (301, "https://hoanhap.example.org/login/")
    assert "X-Forwarded-Proto from an untrusted address" in caplog.text


def test_a_client_cannot_choose_the_host_through_x_forwarded_host(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """ASVS 4.1.1: with USE_X_FORWARDED_HOST on, only the proxy's X-Forwarded-Host counts,
    so a client cannot point redirects (and reset links) at another host."""
    with override_settings(USE_X_FORWARDED_HOST=True):
        spoofed = _login_page("203.0.113.9", **{"X-Forwarded-Host": "evil.example.net"})
        proxied = _login_page("127.0.0.1", **{"X-Forwarded-Host": "evil.example.net"})
    assert spoofed == (301, "https://hoanhap.example.org/login/")
    assert proxied == (301, "https://evil.example.net/login/")
    assert "X-Forwarded-Host from an untrusted address" in caplog.text
