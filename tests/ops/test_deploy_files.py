"""The files under deploy/ name what exists: commands, limits, the gunicorn config.

A timer that runs a command nobody wrote fails silently at 02:00 on a province's server;
an nginx body limit below the upload limits refuses a register file the page accepts.
"""

from __future__ import annotations

import configparser
import getpass
import os
import re
import secrets
import subprocess  # nosec B404: runs deploy/hoa-nhap-manage
from pathlib import Path

from django.conf import settings
from django.core.management import get_commands

from core.crypto import new_key
from registers.forms import UPLOAD_MAX

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SYSTEMD = DEPLOY / "systemd"
SITE = DEPLOY / "nginx" / "hoa-nhap.conf"


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return parser


def test_every_timer_runs_a_unit_that_runs_a_management_command() -> None:
    timers = sorted(SYSTEMD.glob("*.timer"))
    assert {t.stem for t in timers} >= {
        "hoa-nhap-seal",
        "hoa-nhap-figures",
        "hoa-nhap-heartbeat",
        "hoa-nhap-mail",
        "hoa-nhap-prune-tasks",
        "hoa-nhap-backup",
        "hoa-nhap-overdue",
        "hoa-nhap-prune-feed",
    }
    job = _unit(SYSTEMD / "hoa-nhap-job@.service")
    assert "manage.py %i" in job["Service"]["ExecStart"]
    commands = get_commands()
    for timer in timers:
        unit = _unit(timer)["Timer"]["Unit"]
        template, _, command = unit.removesuffix(".service").partition("@")
        assert template == "hoa-nhap-job", timer.name
        assert command in commands, f"{timer.name}: no command {command!r}"


def test_the_services_run_gunicorn_with_its_config_and_the_worker() -> None:
    web = _unit(SYSTEMD / "hoa-nhap-web.service")["Service"]
    assert "gunicorn --config /opt/hoa-nhap/app/deploy/gunicorn.conf.py" in web["ExecStart"]
    assert (DEPLOY / "gunicorn.conf.py").exists()
    worker = _unit(SYSTEMD / "hoa-nhap-worker.service")["Service"]
    assert "manage.py db_worker" in worker["ExecStart"]
    for name in ("hoa-nhap-web", "hoa-nhap-worker", "hoa-nhap-job@"):
        service = _unit(SYSTEMD / f"{name}.service")["Service"]
        assert service["User"] == "hoa-nhap"
        # The keys live in their own file, readable by root only (systemd reads it).
        assert "/etc/hoa-nhap/keys.env" in service["EnvironmentFile"]


def test_nginx_accepts_the_largest_upload_the_pages_accept() -> None:
    text = SITE.read_text()
    [size] = re.findall(r"client_max_body_size (\d+)m;", text)
    assert int(size) * 1024 * 1024 > max(UPLOAD_MAX, settings.DOCUMENT_MAX_BYTES)


def test_nginx_logs_neither_query_strings_nor_invitation_links() -> None:
    """ASVS 16.2.5: the access log must not keep what was searched for or a token."""
    text = SITE.read_text()
    formats = re.findall(r"log_format[^;]+;", text, flags=re.S)
    assert formats
    for log_format in formats:
        for variable in ("$request_uri", "$args", "$query_string", "$request "):
            assert variable not in log_format + " "
        assert "$uri" not in log_format  # only the map's result, which hides the tokens
    assert "/staff/welcome/" in text


def test_hoa_nhap_manage_runs_a_command_with_the_example_settings(tmp_path: Path) -> None:
    """The operator's wrapper reads the shipped example settings and a keys file as the
    services would (systemd's and the shell's syntax agree on them), and Django's
    deployment check has nothing to say."""
    etc = tmp_path / "etc"
    etc.mkdir()
    example = (DEPLOY / "hoa-nhap.env.example").read_text()
    example = example.replace("/var/lib/hoa-nhap", str(tmp_path / "state"))
    (etc / "hoa-nhap.env").write_text(example)
    keys = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "HOA_NHAP_ENCRYPTION_KEYS": f"2026a:{new_key()}",
        "HOA_NHAP_BLIND_INDEX_KEY": new_key(),
        "HOA_NHAP_AUDIT_KEY": new_key(),
    }
    (etc / "keys.env").write_text("".join(f"{k}={v}\n" for k, v in keys.items()))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HOA_NHAP", "DJANGO_"))}
    env = {
        **clean,
        "HOA_NHAP_ETC": str(etc),
        "HOA_NHAP_APP": str(DEPLOY.parent),
        "HOA_NHAP_USER": getpass.getuser(),
    }
    script = "print(settings.STATIC_ROOT, settings.DOCUMENT_STORAGE, settings.TRUSTED_PROXIES)"
    result = subprocess.run(  # noqa: S603  # nosec B603: our script, no shell
        [str(DEPLOY / "hoa-nhap-manage"), "check", "--deploy", "--fail-level", "WARNING"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout
    shown = subprocess.run(  # noqa: S603  # nosec B603: our script, no shell
        [str(DEPLOY / "hoa-nhap-manage"), "shell", "-c",
         f"from django.conf import settings; {script}"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert str(tmp_path / "state" / "static") in shown.stdout
