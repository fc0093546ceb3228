"""Start-up configuration: production checks pass, missing or bad keys stop the app."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from config.settings import (
    DEMO_AUDIT_CHAIN_KEY,
    DEMO_BLIND_INDEX_KEY,
    DEMO_ENCRYPTION_KEYS,
    DEMO_SECRET_KEY,
)
from core.crypto import new_key

ROOT = Path(__file__).resolve().parent.parent
# Fresh keys, as an operator makes them (python -m core.keygen), never the published ones.
KEY, BLIND, AUDIT, OLD = new_key(), new_key(), new_key(), new_key()
DEMO_KEY = DEMO_ENCRYPTION_KEYS.partition(":")[2]
PRODUCTION = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "hoanhap.example.org",
    "DATABASE_URL": "sqlite:///:memory:",
    "HOA_NHAP_ENCRYPTION_KEYS": f"prod2:{KEY},prod1:{OLD}",
    "HOA_NHAP_BLIND_INDEX_KEY": BLIND,
    "HOA_NHAP_AUDIT_KEY": AUDIT,
    "HOA_NHAP_HTTPS": "1",
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
    """ASVS 13.1.x: with real keys and HTTPS on, Django's deployment check has nothing to say
    (the two silenced checks are explained in config/settings.py)."""
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def _refused(env: dict[str, str]) -> str:
    result = _manage("check", env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Hòa Nhập cannot start" in result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DJANGO_SECRET_KEY", DEMO_SECRET_KEY),
        ("HOA_NHAP_ENCRYPTION_KEYS", DEMO_ENCRYPTION_KEYS),
        ("HOA_NHAP_ENCRYPTION_KEYS", f"prod1:{KEY},demo1:{DEMO_KEY}"),
        ("HOA_NHAP_ENCRYPTION_KEYS", f"renamed:{DEMO_KEY}"),
        ("HOA_NHAP_ENCRYPTION_KEYS", f"prod1:{DEMO_BLIND_INDEX_KEY}"),
        ("HOA_NHAP_BLIND_INDEX_KEY", DEMO_BLIND_INDEX_KEY),
        ("HOA_NHAP_BLIND_INDEX_KEY", DEMO_BLIND_INDEX_KEY + "="),  # same bytes, padded
        ("HOA_NHAP_AUDIT_KEY", DEMO_AUDIT_CHAIN_KEY),
        ("HOA_NHAP_AUDIT_KEY", DEMO_KEY),
    ],
)
def test_published_demo_keys_stop_start_up(variable: str, value: str) -> None:
    """ASVS 13.3.1, 11.1.x: a key printed in the repository is no secret; outside demo mode
    start-up refuses it and names the variable."""
    message = _refused({**PRODUCTION, variable: value})
    assert variable in message
    assert "published" in message


@pytest.mark.parametrize(
    ("first", "second", "changes"),
    [
        ("HOA_NHAP_ENCRYPTION_KEYS", "HOA_NHAP_BLIND_INDEX_KEY", {"HOA_NHAP_BLIND_INDEX_KEY": KEY}),
        ("HOA_NHAP_ENCRYPTION_KEYS", "HOA_NHAP_AUDIT_KEY", {"HOA_NHAP_AUDIT_KEY": OLD}),
        ("HOA_NHAP_BLIND_INDEX_KEY", "HOA_NHAP_AUDIT_KEY", {"HOA_NHAP_AUDIT_KEY": BLIND}),
    ],
)
def test_one_key_for_two_purposes_stops_start_up(
    first: str, second: str, changes: dict[str, str]
) -> None:
    """ASVS 11.1.x, 11.2.x: encryption, search indexes and the audit chain each need their
    own key, so a key leaked from one purpose does not open the others."""
    message = _refused({**PRODUCTION, **changes})
    assert first in message
    assert second in message


@pytest.mark.parametrize(
    "value",
    [
        "too-short-secret-key",
        "ab" * 40,  # long, but two characters
        "django-insecure-" + secrets.token_urlsafe(50),  # what startproject writes
    ],
)
def test_weak_secret_key_stops_start_up(value: str) -> None:
    """ASVS 13.3.1: Django's secret key signs sessions and password resets; a short or
    repetitive one stops start-up, as Django's own deploy check would warn."""
    message = _refused({**PRODUCTION, "DJANGO_SECRET_KEY": value})
    assert "DJANGO_SECRET_KEY" in message
    assert "50" in message


def test_demo_keys_still_work_in_demo_mode() -> None:
    demo = {"HOA_NHAP_DEMO": "1", "DATABASE_URL": "sqlite:///:memory:"}
    result = _manage("check", env=demo)
    assert result.returncode == 0, result.stderr


def test_the_readme_demo_runs_on_sqlite(tmp_path: Path) -> None:
    """README's first command (make run): migrate and seed the demo on the embedded SQLite.
    Regression: the access layer's one-statement reach used PostgreSQL's string_agg, and
    seed_demo stopped with "no such function: string_agg"."""
    demo = {"HOA_NHAP_DEMO": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    migrated = _manage("migrate", "--noinput", env=demo)
    assert migrated.returncode == 0, migrated.stderr
    seeded = _manage("seed_demo", env=demo)
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    assert "Demo accounts" in seeded.stdout


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
        "shell",
        "-c",
        "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])",
        env=PRODUCTION,
    )
    assert result.stdout.strip().splitlines()[-1].endswith("Argon2PasswordHasher")


def test_vietnamese_is_the_default_language() -> None:
    assert settings.LANGUAGE_CODE == "vi"
    assert [code for code, _ in settings.LANGUAGES] == ["vi", "en"]


ZERO_KEY = base64.urlsafe_b64encode(bytes(32)).decode().rstrip("=")
COUNTING_KEY = base64.urlsafe_b64encode(bytes(range(32))).decode().rstrip("=")
TEXT_KEY = base64.urlsafe_b64encode(b"mat-khau-cua-so-y-te-tinh-2026!!").decode().rstrip("=")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HOA_NHAP_ENCRYPTION_KEYS", f"prod1:{ZERO_KEY}"),
        ("HOA_NHAP_ENCRYPTION_KEYS", f"prod2:{KEY},prod1:{ZERO_KEY}"),
        ("HOA_NHAP_ENCRYPTION_KEYS", f"prod1:{COUNTING_KEY}"),
        ("HOA_NHAP_ENCRYPTION_KEYS", f"prod1:{TEXT_KEY}"),
        ("HOA_NHAP_BLIND_INDEX_KEY", ZERO_KEY),
        ("HOA_NHAP_AUDIT_KEY", ZERO_KEY),
    ],
)
def test_a_key_that_is_not_random_stops_start_up(variable: str, value: str) -> None:
    """ASVS 11.1.x, 13.3.1: an all-zero, counting or typed-text key has the right length
    but no secret in it; start-up refuses it and names the variable."""
    message = _refused({**PRODUCTION, variable: value})
    assert variable in message
    assert "random" in message


def test_a_secret_key_of_five_distinct_characters_stops_start_up() -> None:
    """ASVS 13.3.1: Django's own check accepts 5 distinct characters; 60 of "abcde" is no
    secret."""
    value = "".join(secrets.choice("abcde") for _ in range(60))
    message = _refused({**PRODUCTION, "DJANGO_SECRET_KEY": value})
    assert "DJANGO_SECRET_KEY" in message


@pytest.mark.parametrize(
    "value",
    [
        PRODUCTION["HOA_NHAP_ENCRYPTION_KEYS"],  # the whole ring, pasted
        f"{BLIND}{secrets.token_urlsafe(8)}",
        f"{secrets.token_urlsafe(8)}{AUDIT}=",
        f"{OLD}{KEY}",
    ],
)
def test_a_secret_key_made_of_an_encryption_key_stops_start_up(value: str) -> None:
    """ASVS 11.1.x: the secret key signs sessions and reset links; when it holds one of the
    data keys, whoever reads one reads the other."""
    message = _refused({**PRODUCTION, "DJANGO_SECRET_KEY": value})
    assert "DJANGO_SECRET_KEY" in message
    assert "same key" in message


def test_the_same_key_under_two_ids_stops_start_up() -> None:
    """ASVS 11.1.x: two ids for one key make rotation a no-op while looking done."""
    message = _refused({**PRODUCTION, "HOA_NHAP_ENCRYPTION_KEYS": f"prod2:{KEY},prod1:{KEY}"})
    assert "HOA_NHAP_ENCRYPTION_KEYS" in message
    assert "prod1" in message
    assert "prod2" in message
