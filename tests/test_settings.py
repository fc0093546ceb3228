"""Start-up configuration: production checks pass, missing or bad keys stop the app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
KEY = "yUdNYrEX7GbfHDXwSucoWxMcYO0Ro1dFfHP1T8KvP7A"
PRODUCTION = {
    "DJANGO_SECRET_KEY": "x" * 20 + "production-like-secret-for-the-deploy-check-0123456789",
    "DJANGO_ALLOWED_HOSTS": "hoanhap.example.org",
    "DATABASE_URL": "sqlite:///:memory:",
    "HOA_NHAP_ENCRYPTION_KEYS": f"prod1:{KEY}",
    "HOA_NHAP_BLIND_INDEX_KEY": "nhMCCJe-wjgsIksUJkQ9J5JRzrSbPElpRaY2W570GxI",
    "HOA_NHAP_AUDIT_KEY": "Vq0n3mB8d2W1sYtK9uLxZc4RfG7hJpA6eQwE5iO0yTs",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HOA_NHAP", "DJANGO_"))}
    clean.pop("DATABASE_URL", None)
    return subprocess.run(  # noqa: S603 — fixed arguments, our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_deploy_check_passes_with_production_settings() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("HOA_NHAP_ENCRYPTION_KEYS", None, "HOA_NHAP_ENCRYPTION_KEYS is not set"),
        ("HOA_NHAP_ENCRYPTION_KEYS", "prod1:tooshort", "must be 32 bytes"),
        ("HOA_NHAP_ENCRYPTION_KEYS", f"bad id:{KEY}", "each entry must be"),
        ("HOA_NHAP_ENCRYPTION_KEYS", f"a:{KEY},a:{KEY}", "appears twice"),
        ("HOA_NHAP_BLIND_INDEX_KEY", None, "HOA_NHAP_BLIND_INDEX_KEY is not set"),
        ("HOA_NHAP_AUDIT_KEY", None, "HOA_NHAP_AUDIT_KEY is not set"),
        ("DJANGO_SECRET_KEY", None, "DJANGO_SECRET_KEY"),
    ],
)
def test_missing_or_bad_key_stops_start_up(variable: str, value: str | None, message: str) -> None:
    env = dict(PRODUCTION)
    if value is None:
        env.pop(variable)
    else:
        env[variable] = value
    result = _manage("check", env=env)
    assert result.returncode == 2
    assert "Hòa Nhập cannot start" in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_keys_are_never_used_outside_demo_mode() -> None:
    result = _manage(
        "shell", "-c", "from django.conf import settings; print(settings.DEMO)", env=PRODUCTION
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_passwords_are_hashed_with_argon2_in_production() -> None:
    result = _manage(
        "shell", "-c", "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])",
        env=PRODUCTION,
    )  # fmt: skip
    assert result.stdout.strip().splitlines()[-1].endswith("Argon2PasswordHasher")


def test_vietnamese_is_the_default_language() -> None:
    assert settings.LANGUAGE_CODE == "vi"
    assert [code for code, _ in settings.LANGUAGES] == ["vi", "en"]
