"""Settings for Hòa Nhập, read from the environment.

``HOA_NHAP_DEMO=1`` (set by ``make run`` and ``make test``) supplies demo-only defaults: an
SQLite database and the DEMO keys below. Outside demo mode every secret must come from the
environment, and a missing or malformed encryption key stops start-up with a message.
"""

import json
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from core.crypto import parse_key_ring, parse_single_key
from core.env import (
    env_bool,
    env_int,
    env_list,
    env_networks,
    env_str,
    parse_database_url,
    refuse_published_or_shared_keys,
    refuse_secret_key_holding_keys,
    refuse_weak_secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEMO = env_bool("HOA_NHAP_DEMO", default=False)

# DEMO ONLY — published in the repository, never valid outside HOA_NHAP_DEMO=1.
DEMO_SECRET_KEY = "demo-only-insecure-secret-key-hoa-nhap-0f3a9c2e7b1d4e6a8c5b2f9d1e7a3c6b"  # noqa: S105  # nosec B105
DEMO_ENCRYPTION_KEYS = "demo1:yUdNYrEX7GbfHDXwSucoWxMcYO0Ro1dFfHP1T8KvP7A"
DEMO_BLIND_INDEX_KEY = "nhMCCJe-wjgsIksUJkQ9J5JRzrSbPElpRaY2W570GxI"
DEMO_AUDIT_CHAIN_KEY = "Vq0n3mB8d2W1sYtK9uLxZc4RfG7hJpA6eQwE5iO0yTs"

SECRET_KEY = env_str("DJANGO_SECRET_KEY", DEMO_SECRET_KEY if DEMO else None)
DEBUG = env_bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEMO else [])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

ENCRYPTION_KEY_RING = parse_key_ring(
    "HOA_NHAP_ENCRYPTION_KEYS",
    env_str("HOA_NHAP_ENCRYPTION_KEYS", DEMO_ENCRYPTION_KEYS if DEMO else ""),
)
BLIND_INDEX_KEY = parse_single_key(
    "HOA_NHAP_BLIND_INDEX_KEY",
    env_str("HOA_NHAP_BLIND_INDEX_KEY", DEMO_BLIND_INDEX_KEY if DEMO else ""),
)
# Keys the audit hash chain: without it, a database writer cannot forge a consistent chain.
AUDIT_CHAIN_KEY = parse_single_key(
    "HOA_NHAP_AUDIT_KEY",
    env_str("HOA_NHAP_AUDIT_KEY", DEMO_AUDIT_CHAIN_KEY if DEMO else ""),
)

# Who links committed audit events into the chain (decision D33): "commit" — each commit
# that wrote one, right after it (no other process needed); "process" — a sequencer
# running beside the web server (`manage.py sequence_audit_chain --follow`), which takes
# the chaining off the request path. A national instance runs "process".
AUDIT_SEQUENCER = env_str("HOA_NHAP_AUDIT_SEQUENCER", "commit")
# The auditor's pages warn when a committed event has waited longer than this for its link
# (the sequencer stopped or fell behind).
AUDIT_CHAIN_LAG_WARNING = timedelta(seconds=env_int("HOA_NHAP_AUDIT_LAG_WARNING_S", 60))
# How many seconds the coverage figures may leave out the newest writes (D37): 0 counts the
# communes written since the last roll-up refresh live, so every figure is current; a busy
# province sets a little more than its refresh takes, and the pages say "as of".
FIGURES_MAX_LAG_S = env_int("HOA_NHAP_FIGURES_MAX_LAG", 0)
# How many months a course counts as training in the training share (programme, D48).
TRAINING_WINDOW_MONTHS = env_int("HOA_NHAP_TRAINING_WINDOW_MONTHS", 24)
if AUDIT_SEQUENCER not in {"commit", "process"}:
    raise ImproperlyConfigured(
        f"HOA_NHAP_AUDIT_SEQUENCER must be 'commit' or 'process', not {AUDIT_SEQUENCER!r}"
    )

if not DEMO:
    # Production reads everything from the environment (docs/operations.md): a server that
    # answers every request with 400, or shows debug pages, stops at start instead.
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "Set the environment variable DJANGO_ALLOWED_HOSTS (the site's host names)."
        )
    if DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_DEBUG is for development only (with HOA_NHAP_DEMO=1): unset it."
        )
    # The demo keys are printed above for anyone to read, and one key for two purposes
    # means one leak opens both: refuse to start rather than run on them.
    refuse_weak_secret_key("DJANGO_SECRET_KEY", SECRET_KEY, published=[DEMO_SECRET_KEY])
    data_keys = {
        "HOA_NHAP_ENCRYPTION_KEYS": [key for _kid, key in ENCRYPTION_KEY_RING.keys],
        "HOA_NHAP_BLIND_INDEX_KEY": [BLIND_INDEX_KEY],
        "HOA_NHAP_AUDIT_KEY": [AUDIT_CHAIN_KEY],
    }
    refuse_secret_key_holding_keys("DJANGO_SECRET_KEY", SECRET_KEY, data_keys)
    refuse_published_or_shared_keys(
        data_keys,
        published=[
            *(key for _kid, key in parse_key_ring("demo", DEMO_ENCRYPTION_KEYS).keys),
            parse_single_key("demo", DEMO_BLIND_INDEX_KEY),
            parse_single_key("demo", DEMO_AUDIT_CHAIN_KEY),
        ],
    )

if DEMO:
    (BASE_DIR / "var" / "static").mkdir(parents=True, exist_ok=True)

DATABASES = {
    "default": parse_database_url(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'demo.sqlite3'}" if DEMO else None)
    )
}
# No ATOMIC_REQUESTS: actions own their transactions, so a denial or failed login recorded
# before a 404 or a refused form is committed rather than rolled back with the request.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections: a new one costs a request about 10 ms (the server process starts,
# then plans with empty catalog caches); health checks replace one the server dropped.
# 0 when a pooler (PgBouncer) in transaction mode sits in front of PostgreSQL.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Bounded waits: a request gives up (and answers 503, core.views.server_error) when the
    # server cannot be reached or a lock is held too long, instead of hanging. A pooler
    # must pass the startup options on (PgBouncer: ignore_startup_parameters = options).
    DATABASES["default"]["OPTIONS"] = {
        "connect_timeout": env_int("DATABASE_CONNECT_TIMEOUT", 5),
        "options": f"-c lock_timeout={env_int('DATABASE_LOCK_TIMEOUT_MS', 10_000)}",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "core.apps.HoaNhapAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "simple_history",
    "django_otp",
    "axes",
    "core",
    "audit",
    "calendar_days",
    "accounts",
    "cases",
    "services",
    "reports",
    "services.methadone",
    "referrals",
    "notifications",
    "documents",
    "appointments",
    "programme",
    "facilities",
    "registers",
    "exchange",
    "api",
    "directory",
    # django-ninja: its Swagger page's scripts from our own static files, never a CDN.
    "ninja",
    "django_tasks_db",
]

# Data exchange (liên thông, docs/exchange.md, D60): this instance's name in the documents
# it signs, its Ed25519 signing key (32 bytes, base64url; without one it sends none), and the
# instances whose documents it takes in, as JSON {"name": "public key"}.
DEMO_EXCHANGE_SIGNING_KEY = "m58zh3dTyBh-vLAB1k8HekgYCQQKUEJir_xaXuFcpjE"  # noqa: S105  # nosec B105
EXCHANGE_INSTANCE = env_str("HOA_NHAP_EXCHANGE_INSTANCE", "demo" if DEMO else "")
EXCHANGE_SIGNING_KEY = env_str(
    "HOA_NHAP_EXCHANGE_SIGNING_KEY", DEMO_EXCHANGE_SIGNING_KEY if DEMO else ""
)
EXCHANGE_TRUSTED: dict[str, str] = json.loads(env_str("HOA_NHAP_EXCHANGE_TRUSTED", "{}"))
if not isinstance(EXCHANGE_TRUSTED, dict) or not all(
    isinstance(name, str) and isinstance(key, str) for name, key in EXCHANGE_TRUSTED.items()
):
    raise ImproperlyConfigured('HOA_NHAP_EXCHANGE_TRUSTED must be JSON: {"name": "public key"}.')

# Background work (django.tasks): tasks are rows in this database, run by
# `manage.py db_worker` beside the web server (docs/operations.md, decision D36). A task's
# arguments are stored in clear, so they are ids only, never personal data or secrets.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Register exports of more people than this run on the worker, which writes the file into
# REGISTER_EXPORT_DIR for the one user who asked (decision D40).
REGISTER_EXPORT_INLINE_PEOPLE = env_int("HOA_NHAP_REGISTER_EXPORT_INLINE_PEOPLE", 5000)
# Uploaded register files wait here for the worker: a directory both the web service and
# the worker see (not each service's private /tmp); empty = the system's temporary directory.
REGISTER_IMPORT_DIR = env_str("HOA_NHAP_REGISTER_IMPORT_DIR", "")
REGISTER_EXPORT_DIR = Path(
    env_str("HOA_NHAP_REGISTER_EXPORT_DIR", str(BASE_DIR / "var" / "register-exports"))
)
# Nightly backups (manage.py backup_database, decision D52): where dumps and seal files go,
# and how many are kept (every dump of so many days, the first of each of so many months).
BACKUP_DIR = Path(env_str("HOA_NHAP_BACKUP_DIR", str(BASE_DIR / "var" / "backups")))
BACKUP_KEEP_DAILY = env_int("HOA_NHAP_BACKUP_KEEP_DAILY", 14)
BACKUP_KEEP_MONTHLY = env_int("HOA_NHAP_BACKUP_KEEP_MONTHLY", 12)

MIDDLEWARE = [
    # First, so it times the whole answer (Prometheus, decision D47).
    "core.metrics.RequestMetricsMiddleware",
    # Before SecurityMiddleware's HTTPS redirect: only the trusted proxy may say HTTPS (D51).
    "core.middleware.UntrustedProxyHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RequestIdMiddleware",
    # The JSON access line and the request's fields on every log line (decision D47).
    "core.logs.RequestLogMiddleware",
    "audit.context.AuditContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Outside the login and second-factor redirects below, so they are covered too.
    "core.middleware.NoStoreForSignedInMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.MethodNotAllowedPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # django-axes wants to be last: it turns a lockout raised below into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.navigation_menu",
                "core.context_processors.today",
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Guardian's tables hold object grants (with an expiry and an origin guardian does not know
# about), and cases.access is the only reader (decision D32). Leaving guardian's backend out
# means no ``user.has_perm(perm, case)`` call can answer from an expired grant, nor ignore the
# roles' rules (guardian.W001 says it is out, on purpose).
# axes.W006 asks to lock IP addresses too; a commune office shares one address behind NAT,
# so lockout is per account (what a stolen-password attack targets).
SILENCED_SYSTEM_CHECKS = ["guardian.W001", "axes.W006"]
# Guardian's "AnonymousUser" row serves its backend's checks for signed-out visitors; with the
# backend out it would only be an account nobody holds, to be hidden from every list.
ANONYMOUS_USER_NAME = None

# Lockout (django-axes): by account, after N failed passwords or second-factor codes.
AXES_FAILURE_LIMIT = env_int("HOA_NHAP_LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("HOA_NHAP_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username"]
# Refused logins of one account (or of unknown names) from one address within this window
# are one access event, plus one that counts the rest when it ends (accounts.lockout).
HOA_NHAP_LOGIN_FAILURE_WINDOW = timedelta(
    minutes=env_int("HOA_NHAP_LOGIN_FAILURE_WINDOW_MINUTES", 15)
)
# A right password alone must not wipe the count of wrong codes: the count is reset only
# when the second factor succeeds (accounts.actions).
AXES_RESET_ON_SUCCESS = False
# Names that match no account are kept only as a keyed hash (people type passwords there).
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
# Axes counts; our handler adds the events (refusals, lockout, its end, sign-in, sign-out).
AXES_HANDLER = "accounts.signin.SignInHandler"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_SENSITIVE_PARAMETERS = ["password", "token", "username"]
AXES_VERBOSE = False
# Lockouts are read from the audit trail and lifted with `manage.py unlock_account`, which
# records who unlocked whom; axes' own admin pages would bypass that.
AXES_ENABLE_ADMIN = False

# Second factor (django-otp): devices live in accounts/ with encrypted seeds.
OTP_TOTP_ISSUER = env_str("HOA_NHAP_OTP_ISSUER", "Hòa Nhập")
# Accept X-Request-ID from the reverse proxy (set it only behind one that overwrites it).
TRUST_REQUEST_ID = env_bool("HOA_NHAP_TRUST_REQUEST_ID", default=DEMO)
# Reverse proxies (addresses or networks) whose X-Forwarded-For names the client; from
# anyone else the header is ignored and the client is REMOTE_ADDR (core.middleware).
TRUSTED_PROXIES = env_networks("HOA_NHAP_TRUSTED_PROXIES")
AXES_CLIENT_IP_CALLABLE = "core.middleware.client_ip"
# A typed date (a plan, a due date, a filter) may lie at most this many years ahead:
# 9999-12-31 is a typo, not a plan (core.forms.DateField).
HOA_NHAP_DATE_MAX_YEARS_AHEAD = env_int("HOA_NHAP_DATE_MAX_YEARS_AHEAD", 10)
# Emergency ("break the glass") access lasts this long.
EMERGENCY_ACCESS_HOURS = env_int("HOA_NHAP_EMERGENCY_HOURS", 4)
# How long a contact note's author may still change it; after that, only an addendum (D42).
CONTACT_NOTE_EDIT_MINUTES = env_int("HOA_NHAP_NOTE_EDIT_MINUTES", 30)
# Case categories whose closing waits for a supervisor's approval (D45, docs/casework.md):
# addiction (it covers compulsory treatment decided by a court, Law 73/2021/QH14 arts. 32-33)
# and post-rehab management (a measure decided by the commune chairman, Law 73/2021/QH14
# and Decree 116/2021/ND-CP). Other categories close on the caseworker's word.
CASE_CLOSURE_APPROVAL_CATEGORIES = env_list(
    "HOA_NHAP_CLOSURE_APPROVAL_CATEGORIES", ["addiction", "post_rehab"]
)
# An unused invitation link (a newcomer's first password) stops working after this long.
INVITATION_HOURS = env_int("HOA_NHAP_INVITATION_HOURS", 72)
# Months between two planned post-rehab check-ins: monthly by default, the monthly review the
# commune holds with people under post-rehab management (docs/post-rehab-and-victim-support.md).
POSTREHAB_CHECKIN_MONTHS = env_int("HOA_NHAP_POSTREHAB_CHECKIN_MONTHS", 1)
# Notification e-mail (notifications/actions.py) goes out only when a mail host is set;
# without one no mailer is defined and nothing is sent.
NOTIFICATION_MAIL_HOST = env_str("HOA_NHAP_EMAIL_HOST", "")
if NOTIFICATION_MAIL_HOST:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": NOTIFICATION_MAIL_HOST,
                "port": env_int("HOA_NHAP_EMAIL_PORT", 587),
                "username": env_str("HOA_NHAP_EMAIL_USER", ""),
                "password": env_str("HOA_NHAP_EMAIL_PASSWORD", ""),
                "use_tls": env_bool("HOA_NHAP_EMAIL_TLS", default=True),
                # The worker holds the notification's row lock while it sends (mail.py).
                "timeout": env_int("HOA_NHAP_EMAIL_TIMEOUT", 20),
            },
        },
    }
DEFAULT_FROM_EMAIL = env_str("HOA_NHAP_EMAIL_FROM", "hoa-nhap@localhost")
SITE_URL = env_str("HOA_NHAP_SITE_URL", "")
# A referral's receiver sees the shared parts for at most this many days (docs/referrals.md);
# after a transfer, the former holder's staff read the case for this many days.
REFERRAL_ACCESS_DAYS = env_int("HOA_NHAP_REFERRAL_ACCESS_DAYS", 180)
TRANSFER_READ_DAYS = env_int("HOA_NHAP_TRANSFER_READ_DAYS", 90)
# A person who moved: how long the old commune still reads what it held (D50, docs/moves.md).
MOVE_READ_DAYS = env_int("HOA_NHAP_MOVE_READ_DAYS", 90)
# How long the new commune has to accept a move (Law 120/2025/QH15: 24 hours).
MOVE_ANSWER_HOURS = env_int("HOA_NHAP_MOVE_ANSWER_HOURS", 24)
# Coverage figures: counts 1..k-1 are shown as "< k" to viewers outside the unit's scope and
# in every export for sharing (docs/indicators.md, small-cell suppression).
HOA_NHAP_SMALL_CELL_K = env_int("HOA_NHAP_SMALL_CELL_K", 5)
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
# The login page then says the user is logged out (templates/registration/login.html).
LOGOUT_REDIRECT_URL = "/login/?logged_out=1"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
# locale_django/ holds Vietnamese for the admin's JavaScript strings (calendar, selectors)
# that Django's catalog lacks; makemessages does not write there, so they are kept. (Its
# Python strings are named in core/django_strings.py and translated in locale/.)
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_django"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
# dd/mm/yyyy shown and accepted in both languages (core/formats/).
FORMAT_MODULE_PATH = ["core.formats"]

STATIC_URL = "static/"
# Where collectstatic writes the hashed, compressed files WhiteNoise serves (D51).
STATIC_ROOT = Path(env_str("HOA_NHAP_STATIC_ROOT", str(BASE_DIR / "var" / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or DEMO
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEMO or DEBUG

# Documents (docs/documents.md, decision D41): encrypted files kept through the storage alias
# DOCUMENT_STORAGE, never under a static or media URL. Local disk by default; a province on
# an S3-compatible store names its backend and options (JSON) in the environment.
DOCUMENT_STORAGE = "documents"
STORAGES[DOCUMENT_STORAGE] = {
    "BACKEND": env_str(
        "HOA_NHAP_DOCUMENT_STORAGE_BACKEND", "documents.storage.PrivateFileSystemStorage"
    ),
    "OPTIONS": json.loads(
        env_str(
            "HOA_NHAP_DOCUMENT_STORAGE_OPTIONS",
            json.dumps({"location": str(BASE_DIR / "var" / "documents")}),
        )
    ),
}
DOCUMENT_MAX_BYTES = env_int("HOA_NHAP_DOCUMENT_MAX_MB", 10) * 1024 * 1024

# Sessions: short-lived, never readable from scripts.
# Inactivity expiry: the cookie's age is renewed on every request.
SESSION_COOKIE_AGE = env_int("HOA_NHAP_SESSION_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# HTTPS hardening: on unless explicitly turned off (demo and tests run over plain HTTP).
HTTPS = env_bool("HOA_NHAP_HTTPS", default=not DEMO)
SECURE_SSL_REDIRECT = HTTPS
# The load balancer and Prometheus ask over the internal network, without TLS (D47).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
# Behind nginx (decision D51): X-Forwarded-Proto says whether the client used HTTPS. It is
# read only when a trusted proxy is named, and core.middleware drops it (and
# X-Forwarded-Host) from every other sender. nginx sets Host itself, so X-Forwarded-Host
# is off unless another proxy in front of nginx rewrites the host.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS and TRUSTED_PROXIES else None
USE_X_FORWARDED_HOST = env_bool("HOA_NHAP_USE_X_FORWARDED_HOST", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (Django's own middleware): our own files only, no inline script
# or style, no plugins, not framed, forms post only to us.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}


# /healthz (decision D47): the worker's heartbeat (manage.py worker_heartbeat, every
# minute) must have run, and no task waited, within this; the audit seal must be younger.
HEALTH_WORKER_SILENT = timedelta(minutes=env_int("HOA_NHAP_HEALTH_WORKER_SILENT_MINUTES", 5))
HEALTH_SEAL_MAX_AGE = timedelta(hours=env_int("HOA_NHAP_HEALTH_SEAL_MAX_HOURS", 26))
# /metrics answers only a scrape with "Authorization: Bearer <this>"; unset, it is off (404).
METRICS_TOKEN = env_str("HOA_NHAP_METRICS_TOKEN", "")

# JSON lines (core.logs, decision D47): request id, user id and route name, the text
# scrubbed of ids, tokens and ID numbers; one access line per request at INFO.
LOG_FORMAT = env_str("HOA_NHAP_LOG_FORMAT", "text" if DEMO else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "core.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": env_str("HOA_NHAP_LOG_LEVEL", "WARNING")},
    "loggers": {
        "hoa_nhap.requests": {
            "level": env_str("HOA_NHAP_ACCESS_LOG_LEVEL", "WARNING" if DEMO else "INFO")
        }
    },
}

# Methadone: figures of the national guideline (Decision 4066/QĐ-BYT, which replaced
# 3140/QĐ-BYT) that are left to the clinician, with the guideline's value as the default.
# Each is described, with its source and whether it was confirmed, in docs/methadone.md.
HOA_NHAP_METHADONE_START_MAX_MG = env_int("HOA_NHAP_METHADONE_START_MAX_MG", 30)
HOA_NHAP_METHADONE_FIRST_WEEK_MAX_MG = env_int("HOA_NHAP_METHADONE_FIRST_WEEK_MAX_MG", 40)
HOA_NHAP_METHADONE_INCREASE_MIN_DAYS = env_int("HOA_NHAP_METHADONE_INCREASE_MIN_DAYS", 3)
HOA_NHAP_METHADONE_INCREASE_MAX_MG = env_int("HOA_NHAP_METHADONE_INCREASE_MAX_MG", 10)
HOA_NHAP_METHADONE_WEEK_INCREASE_MAX_MG = env_int("HOA_NHAP_METHADONE_WEEK_INCREASE_MAX_MG", 20)
HOA_NHAP_METHADONE_MISSED_ASSESS_DAYS = env_int("HOA_NHAP_METHADONE_MISSED_ASSESS_DAYS", 3)
HOA_NHAP_METHADONE_MISSED_REDUCE_DAYS = env_int("HOA_NHAP_METHADONE_MISSED_REDUCE_DAYS", 4)
HOA_NHAP_METHADONE_MISSED_RESTART_DAYS = env_int("HOA_NHAP_METHADONE_MISSED_RESTART_DAYS", 5)
HOA_NHAP_METHADONE_TAPER_MIN_DAYS = env_int("HOA_NHAP_METHADONE_TAPER_MIN_DAYS", 14)
HOA_NHAP_METHADONE_TAPER_MAX_PERCENT = env_int("HOA_NHAP_METHADONE_TAPER_MAX_PERCENT", 10)
HOA_NHAP_METHADONE_TAPER_MIN_TREATMENT_DAYS = env_int(
    "HOA_NHAP_METHADONE_TAPER_MIN_TREATMENT_DAYS", 365
)
HOA_NHAP_METHADONE_TAPER_LOW_DOSE_MG = env_int("HOA_NHAP_METHADONE_TAPER_LOW_DOSE_MG", 20)
HOA_NHAP_METHADONE_TAPER_LOW_MIN_DAYS = env_int("HOA_NHAP_METHADONE_TAPER_LOW_MIN_DAYS", 28)
HOA_NHAP_METHADONE_TAKE_HOME_MIN_TREATMENT_DAYS = env_int(
    "HOA_NHAP_METHADONE_TAKE_HOME_MIN_TREATMENT_DAYS", 365
)
HOA_NHAP_METHADONE_TAKE_HOME_STABLE_DAYS = env_int("HOA_NHAP_METHADONE_TAKE_HOME_STABLE_DAYS", 90)
HOA_NHAP_METHADONE_TAKE_HOME_MAX_MISSED_30 = env_int(
    "HOA_NHAP_METHADONE_TAKE_HOME_MAX_MISSED_30", 0
)
HOA_NHAP_METHADONE_TAKE_HOME_MAX_DAYS = env_int("HOA_NHAP_METHADONE_TAKE_HOME_MAX_DAYS", 7)
HOA_NHAP_METHADONE_REVIEW_DAYS = env_int("HOA_NHAP_METHADONE_REVIEW_DAYS", 30)
HOA_NHAP_METHADONE_INDUCTION_REVIEW_DAYS = env_int("HOA_NHAP_METHADONE_INDUCTION_REVIEW_DAYS", 1)
HOA_NHAP_METHADONE_ADJUST_REVIEW_DAYS = env_int("HOA_NHAP_METHADONE_ADJUST_REVIEW_DAYS", 5)
HOA_NHAP_METHADONE_TAPER_REVIEW_DAYS = env_int("HOA_NHAP_METHADONE_TAPER_REVIEW_DAYS", 14)
# Organisation types whose staff work a methadone clinic's "today" screen (types are data).
HOA_NHAP_METHADONE_CLINIC_TYPES = env_list("HOA_NHAP_METHADONE_CLINIC_TYPES", ["methadone-clinic"])
