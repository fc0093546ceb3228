"""Production settings come only from the environment; a missing one stops start-up."""

from __future__ import annotations

from tests.test_settings import PRODUCTION, _manage, _refused


def test_no_allowed_hosts_stops_start_up() -> None:
    """ASVS 13.1.x: without DJANGO_ALLOWED_HOSTS every request would be a 400; say so at start."""
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_ALLOWED_HOSTS"}
    assert "DJANGO_ALLOWED_HOSTS" in _refused(env)


def test_debug_stops_start_up_outside_demo_mode() -> None:
    """ASVS 13.4.2: debug pages show settings and code; never on a production server."""
    assert "DJANGO_DEBUG" in _refused({**PRODUCTION, "DJANGO_DEBUG": "1"})


def _settings(env: dict[str, str], *names: str) -> list[str]:
    shown = "; ".join(f"print(settings.{name})" for name in names)
    result = _manage("shell", "-c", f"from django.conf import settings; {shown}", env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-len(names) :]


def test_the_proxy_header_counts_only_behind_a_named_proxy() -> None:
    """ASVS 4.1.1: SECURE_PROXY_SSL_HEADER is on only when a trusted proxy is named;
    X-Forwarded-Host only when asked for. Paths come from the environment too."""
    names = ("SECURE_PROXY_SSL_HEADER", "USE_X_FORWARDED_HOST", "STATIC_ROOT")
    assert _settings(PRODUCTION, *names)[0] == "None"
    behind = {
        **PRODUCTION,
        "HOA_NHAP_TRUSTED_PROXIES": "127.0.0.1",
        "HOA_NHAP_STATIC_ROOT": "/var/lib/hoa-nhap/static",
    }
    assert _settings(behind, *names) == [
        "('HTTP_X_FORWARDED_PROTO', 'https')",
        "False",
        "/var/lib/hoa-nhap/static",
    ]
    asked = {**behind, "HOA_NHAP_USE_X_FORWARDED_HOST": "1"}
    assert _settings(asked, "USE_X_FORWARDED_HOST") == ["True"]
