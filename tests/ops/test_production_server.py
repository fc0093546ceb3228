"""The production server, tried end to end (issue 31, decision D51).

gunicorn runs with the production settings (``config.settings``, no demo mode, keys of its
own, HTTPS on) from ``deploy/gunicorn.conf.py``, connected to the test PostgreSQL as the
application's role (no ownership, no TRUNCATE); nginx runs in front of it from the
shipped site file ``deploy/nginx/hoa-nhap.conf`` with a certificate made here. The first
administrator is created with ``manage.py create_administrator``, signs in through nginx
with the password, enrols an authenticator from the secret the page shows, and opens a page
that needs the second factor. Static files come back hashed, compressed and cached.

nginx is the Debian package (``scripts/ensure-system-deps`` installs it as root, as in CI).
A machine without it skips the nginx test with that reason, except in CI, where it fails.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess  # nosec B404: runs our own gunicorn, manage.py and Debian's nginx
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.management import call_command
from django.db import connection

from accounts import totp
from accounts.events import AccountAction
from audit.models import Event
from core.crypto import new_key
from tests.conftest import World

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx" / "hoa-nhap.conf"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
HOST = "hoanhap.example.org"
PASSWORD = "Mật-khẩu-quản-trị-2026!"  # noqa: S105  # nosec B105: a test account's password
needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (the server's own connections)"
)


def _nginx() -> str | None:
    found = shutil.which("nginx")
    if found is None and Path("/usr/sbin/nginx").exists():
        found = "/usr/sbin/nginx"
    return found


NGINX = _nginx()
needs_nginx = pytest.mark.skipif(
    NGINX is None and not os.environ.get("CI"),
    reason="nginx not found: install the Debian package nginx (scripts/ensure-system-deps "
    "does it when run as root, as CI does)",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _production_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    """The environment of a production install: no demo, keys of its own, behind a proxy."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HOA_NHAP", "DJANGO_"))}
    (tmp_path / "prometheus").mkdir(exist_ok=True)
    return {
        **clean,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DATABASE_URL": database_url,
        "HOA_NHAP_ENCRYPTION_KEYS": f"prod1:{new_key()}",
        "HOA_NHAP_BLIND_INDEX_KEY": new_key(),
        "HOA_NHAP_AUDIT_KEY": new_key(),
        "HOA_NHAP_TRUSTED_PROXIES": "127.0.0.1",
        "HOA_NHAP_TRUST_REQUEST_ID": "1",
        "HOA_NHAP_STATIC_ROOT": str(tmp_path / "static"),
        "HOA_NHAP_REGISTER_EXPORT_DIR": str(tmp_path / "exports"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "WEB_CONCURRENCY": "2",
    }


def _app_database_url() -> str:
    """The test database, as the application's role when the run created one (with-postgres)."""
    db = connection.settings_dict
    role = os.environ.get("HOA_NHAP_APP_DB_ROLE")
    if role:
        call_command("grant_app_role", role)
        auth = quote(role)
    else:
        auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{quote(db['NAME'])}"


def _manage(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  # nosec B603: our manage.py, no shell
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, input=stdin,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def _collected(env: dict[str, str]) -> dict[str, str]:
    """Run collectstatic into the environment's static root (hashed and compressed names)."""
    collected = _manage(env, "collectstatic", "--noinput")
    assert collected.returncode == 0, collected.stderr
    return env


def _gunicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """Start gunicorn as the web unit does (its config file), bound to a test port."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603  # nosec B603: fixed arguments, no shell
            [str(gunicorn), "--config", str(GUNICORN_CONF), "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


def _stop(process: subprocess.Popen[Any], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for(url: str, process: subprocess.Popen[Any], log: Path, **kwargs: Any) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            httpx.get(url, timeout=5, **kwargs)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"no answer from {url} in 90 s:\n{log.read_text()[-3000:]}")


def test_a_missing_key_stops_gunicorn_at_start_with_a_message(tmp_path: Path) -> None:
    """ASVS 13.1.x: gunicorn with the production settings and no audit key exits at once,
    saying which variable to set, without a traceback (nothing serves without its keys)."""
    env = _production_env(tmp_path, "sqlite:///:memory:")
    del env["HOA_NHAP_AUDIT_KEY"]
    log = tmp_path / "gunicorn.log"
    server = _gunicorn(env, _free_port(), log)
    try:
        server.wait(timeout=60)
    finally:
        _stop(server)
    output = log.read_text()
    assert server.returncode != 0, output
    assert "Hòa Nhập cannot start: HOA_NHAP_AUDIT_KEY is not set" in output, output
    assert "Traceback" not in output, output


# --- gunicorn behind nginx ---------------------------------------------------------------


@dataclass
class Site:
    https: str
    http: str
    gunicorn: str
    context: ssl.SSLContext
    log: Path


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for HOST and 127.0.0.1 (nginx terminates TLS with it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(HOST), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _replace(text: str, old: str, new: str) -> str:
    """Replace a line of the shipped site file; it must be there (the test follows the file)."""
    assert text.count(old) >= 1, f"{old!r} is no longer in {SITE.name}"
    return text.replace(old, new)


def _nginx_conf(directory: Path, *, http: int, https: int, upstream: int) -> Path:
    """The shipped site file with test ports and paths, inside a minimal nginx.conf."""
    cert, key = _certificate(directory)
    site = SITE.read_text()
    site = _replace(site, "listen 80;", f"listen 127.0.0.1:{http};")
    site = _replace(site, "listen [::]:80;", "")
    site = _replace(site, "listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;")
    site = _replace(site, "listen [::]:443 ssl http2;", "")
    site = _replace(site, "/etc/ssl/hoa-nhap/fullchain.pem", str(cert))
    site = _replace(site, "/etc/ssl/hoa-nhap/privkey.pem", str(key))
    site = _replace(site, "server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};")
    site = _replace(site, "/var/log/nginx/", f"{directory}/")
    temp = directory / "temp"
    temp.mkdir()
    conf = directory / "nginx.conf"
    # As root (CI), nginx's workers would run as "nobody", who cannot enter pytest's
    # private temporary directory to buffer a large answer: keep them root here.
    user = "user root;" if os.geteuid() == 0 else ""
    conf.write_text(
        f"""
{user}
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 64; }}
http {{
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    {site}
}}
"""
    )
    return conf


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """gunicorn (production settings, the app's database role) with nginx in front."""
    assert NGINX is not None, "nginx is missing: scripts/ensure-system-deps installs it in CI"
    env = _collected(_production_env(tmp_path, _app_database_url()))
    upstream, http, https = _free_port(), _free_port(), _free_port()
    log = tmp_path / "gunicorn.log"
    server = _gunicorn(env, upstream, log)
    nginx_dir = tmp_path / "nginx"
    nginx_dir.mkdir()
    conf = _nginx_conf(nginx_dir, http=http, https=https, upstream=upstream)
    nginx = subprocess.Popen(  # noqa: S603  # nosec B603: Debian's nginx, our config, no shell
        [NGINX, "-e", str(nginx_dir / "error.log"), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    context = ssl.create_default_context(cafile=str(nginx_dir / "cert.pem"))
    try:
        _wait_for(f"http://127.0.0.1:{upstream}/healthz", server, log)
        nginx_log = nginx_dir / "error.log"
        _wait_for(f"https://127.0.0.1:{https}/healthz", nginx, nginx_log, verify=context)
        yield Site(
            https=f"https://127.0.0.1:{https}",
            http=f"http://127.0.0.1:{http}",
            gunicorn=f"http://127.0.0.1:{upstream}",
            context=context,
            log=log,
        )
    finally:
        _stop(nginx, signal.SIGQUIT)
        _stop(server)
        errors = (nginx_dir / "error.log").read_text() if (nginx_dir / "error.log").exists() else ""
        print(log.read_text()[-4000:], errors[-2000:])  # shown when the test fails


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SECRET = re.compile(r'data-testid="otp-secret">([^<]+)</code>')


def _form_post(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    """GET a form, then POST it with its CSRF token, as a browser would (Origin included)."""
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    match = CSRF.search(page.text)
    assert match, page.text[:2000]
    return client.post(
        path, data={"csrfmiddlewaretoken": match.group(1), **data},
        headers={"Origin": f"https://{HOST}", "Referer": f"https://{HOST}{path}"},
    )  # fmt: skip


@needs_postgresql
@needs_nginx
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_first_administrator_signs_in_through_nginx_with_a_second_factor(
    world: World, site: Site, tmp_path: Path
) -> None:
    """ASVS 6.3.3, 3.4.1, 13.1.x, 12.1.1: the production server behind nginx: HTTPS only,
    secure cookies, sign-in with password and an authenticator, static files hashed and
    compressed. The administrator is the first one, created on the server. A client that
    reaches gunicorn directly, not from the proxy, cannot claim HTTPS."""
    env = _production_env(tmp_path, _app_database_url())
    created = _manage(
        env, "create_administrator", "root1", "--full-name", "Quản Trị Một",
        "--unit", world.units["province"].code, "--organisation", "Sở Y tế tỉnh Kiểm Thử",
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr + created.stdout

    # Plain HTTP is only a redirect to HTTPS, made by nginx.
    plain = httpx.get(f"{site.http}/login/?next=/", headers={"Host": HOST})
    assert plain.status_code == 301
    assert plain.headers["Location"] == f"https://{HOST}/login/?next=/"

    with httpx.Client(base_url=site.https, verify=site.context, headers={"Host": HOST}) as client:
        login = client.get("/login/")
        assert login.status_code == 200
        assert "Strict-Transport-Security" in login.headers
        assert "nginx/" not in login.headers.get("Server", "")
        csrf_cookie = login.headers["Set-Cookie"]
        assert "csrftoken=" in csrf_cookie and "Secure" in csrf_cookie

        # The password alone: signed in, but every page waits for the second factor.
        answer = _form_post(client, "/login/", {"username": "root1", "password": PASSWORD})
        assert answer.status_code == 302, answer.text[:2000]
        session_cookie = next(c for c in answer.headers.get_list("Set-Cookie") if "sessionid" in c)
        assert "Secure" in session_cookie and "HttpOnly" in session_cookie
        waiting = client.get("/")
        assert waiting.status_code == 302
        assert waiting.headers["Location"].startswith("/account/two-factor/enrol/")

        # First sign-in: the page shows the authenticator's secret; its code confirms it.
        enrol = client.get("/account/two-factor/enrol/")
        assert enrol.status_code == 200
        match = SECRET.search(enrol.text)
        assert match, enrol.text[:2000]
        confirmed = _form_post(
            client, "/account/two-factor/enrol/", {"token": totp.code(match.group(1))}
        )
        assert confirmed.status_code == 200, confirmed.text[:2000]

        start = client.get("/")
        assert start.status_code == 302, start.headers
        home = client.get(start.headers["Location"])  # the administrator's start page
        assert home.status_code == 200, home.headers
        assert "root1" in home.text or "Quản Trị Một" in home.text
        # Written by the application's role, as every event: the sign-in with its device.
        [login_event] = Event.objects.filter(action=AccountAction.LOGIN, actor__username="root1")
        assert login_event.detail == {"device": "totpdevice"}

        # Static files: a hashed name in the page, served compressed and cached for good.
        stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', home.text)
        assert stylesheet, "the page does not name a hashed stylesheet"
        css = client.get(stylesheet.group(1), headers={"Accept-Encoding": "gzip"})
        assert css.status_code == 200
        assert css.headers["Content-Encoding"] == "gzip"
        assert "immutable" in css.headers["Cache-Control"]
        assert "max-age=315360000" in css.headers["Cache-Control"]
        assert "body" in css.text  # decoded: the stylesheet itself

        # /metrics is not public: nginx refuses it whatever the token.
        assert client.get("/metrics").status_code == 403

    # gunicorn itself, reached directly: only the proxy's address may say "HTTPS".
    _a_client_off_the_proxy_cannot_claim_https(site)


def _a_client_off_the_proxy_cannot_claim_https(site: Site) -> None:
    """ASVS 13.1.x, 4.1.1: X-Forwarded-Proto counts only from the proxy in
    HOA_NHAP_TRUSTED_PROXIES; a client reaching gunicorn from another address that claims
    HTTPS is still redirected to HTTPS, and its claim is logged."""
    claim = {"Host": HOST, "X-Forwarded-Proto": "https"}
    proxied = httpx.get(f"{site.gunicorn}/login/", headers=claim)
    assert proxied.status_code == 200
    # Another address of this machine (the whole 127/8 is loopback): not the proxy.
    transport = httpx.HTTPTransport(local_address="127.0.0.3")
    with httpx.Client(transport=transport) as other:
        spoofed = other.get(f"{site.gunicorn}/login/", headers=claim)
    assert spoofed.status_code == 301
    assert spoofed.headers["Location"] == f"https://{HOST}/login/"
    assert "X-Forwarded-Proto from an untrusted address" in site.log.read_text()
