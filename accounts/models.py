"""Own the staff user model and the second-factor devices: TOTP with an encrypted seed,
and hashed backup codes.

django-otp's stock devices keep TOTP seeds and static codes in plaintext; these keep the
seed under the field cipher and only an HMAC of each backup code.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
import uuid
from typing import Any, TypeIs

from django.conf import settings
from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin
from django_otp.oath import TOTP

from core.fields import EncryptedTextField

TOTP_STEP = 30
TOTP_DIGITS = 6
# Accept the code of the neighbouring 30-second step, for phones whose clocks drift.
TOTP_TOLERANCE = 1
BACKUP_CODE_COUNT = 10
_BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
# ASCII only: str.isdigit() also accepts "²" and Arabic-Indic digits, which int() then
# rejects or silently maps to 0-9.
APP_CODE = re.compile(r"[0-9]{6}")
BACKUP_CODE = re.compile(r"[a-z0-9]{5}-?[a-z0-9]{5}", re.IGNORECASE)


def code_kind(token: str) -> str | None:
    """Return "totp" for six ASCII digits, "backup" for a backup code's shape, else None."""
    if APP_CODE.fullmatch(token):
        return "totp"
    if BACKUP_CODE.fullmatch(token):
        return "backup"
    return None


class User(AbstractUser):  # type: ignore[django-manager-missing]
    """A staff account. Roles, organisation and scope live on the staff profile (cases)."""

    # Who created the account from the app or the admin (None: created on the server). Dual
    # control follows it: an account never approves for the person who made it, nor the
    # reverse, nor for another account of the same maker (cases.roles.chain).
    created_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
        editable=False,
    )
    # An API client's account (api.ApiClient.account): a machine, not a person. It never
    # signs in with a password, is invited by no one and appears in no list of people to
    # pick, count or notify (staff list, assignees, officers, reviewers, staff figures).
    is_service_account = models.BooleanField(
        _("service account"), default=False, db_default=False, editable=False
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    @property
    def display_name(self) -> str:
        """Return the full name, or the username for an account without one."""
        return self.get_full_name() or self.get_username()


# The acting user, whoever makes the call: a staff account or, before sign-in, the anonymous
# user (what ``request.user`` is). Every app above accounts takes the acting user as this
# type (``cases.access`` re-exports it); core, audit and calendar_days, below, take
# ``core.users.AnyAbstractUser``.
AnyUser = User | AnonymousUser


def is_account(user: AnyUser | None) -> TypeIs[User]:
    """Return whether the acting user is a staff account (not anonymous, not the system)."""
    return isinstance(user, User)


def account_of(user: AnyUser) -> User:
    """Return the acting user's account, refusing the anonymous user: a write names who made
    it, and every URL but sign-in already requires an account, so this never refuses a page."""
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def new_totp_secret() -> str:
    """Return a fresh 160-bit TOTP secret in base32, as authenticator apps expect."""
    return base64.b32encode(secrets.token_bytes(20)).decode()


class TOTPDevice(ThrottlingMixin, Device):  # type: ignore[misc]
    """An authenticator app, its seed encrypted at rest."""

    # django-otp needs an integer primary key, so the seed's ciphertext is bound to this
    # UUID instead, set at construction (before the row exists).
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    secret = EncryptedTextField(_("secret"), row_key="uid", max_length=64)
    # The last accepted time step: a code is never accepted twice (replay).
    last_t = models.BigIntegerField(default=-1)

    class Meta:
        verbose_name = _("authenticator app")

    def get_throttle_factor(self) -> int:
        return 1

    def totp(self) -> TOTP:
        return TOTP(base64.b32decode(self.secret), step=TOTP_STEP, digits=TOTP_DIGITS)

    def config_url(self) -> str:
        """Return the otpauth:// URI an authenticator app scans."""
        from urllib.parse import quote, urlencode

        issuer = settings.OTP_TOTP_ISSUER
        label = quote(f"{issuer}:{self.user.get_username()}")
        query = urlencode({"secret": self.secret, "issuer": issuer, "digits": TOTP_DIGITS})
        return f"otpauth://totp/{label}?{query}"

    def verify_token(self, token: Any) -> bool:
        allowed, _info = self.verify_is_allowed()
        if not allowed:
            return False
        text = str(token).strip().replace(" ", "")
        if not APP_CODE.fullmatch(text):
            self.throttle_increment()
            return False
        totp = self.totp()
        totp.time = time.time()
        if totp.verify(int(text), tolerance=TOTP_TOLERANCE, min_t=self.last_t + 1):
            self.last_t = totp.t()
            self.throttle_reset(commit=False)
            self.save(update_fields=["last_t", *self._throttle_fields()])
            return True
        self.throttle_increment()
        return False

    @staticmethod
    def _throttle_fields() -> list[str]:
        return ["throttling_failure_timestamp", "throttling_failure_count"]


class BackupCodeDevice(ThrottlingMixin, Device):  # type: ignore[misc]
    """One-time backup codes; only their HMACs are stored."""

    class Meta:
        verbose_name = _("backup codes")

    def get_throttle_factor(self) -> int:
        return 1

    def digest(self, code: str) -> str:
        normalised = code.strip().lower().replace("-", "").replace(" ", "")
        return salted_hmac(
            "hoa_nhap.backup_code", f"{self.pk}:{normalised}", algorithm="sha256"
        ).hexdigest()

    def issue_codes(self) -> list[str]:
        """Replace all codes with new ones and return them (shown to the user once)."""
        codes = [
            "".join(secrets.choice(_BACKUP_ALPHABET) for _ in range(10))
            for _ in range(BACKUP_CODE_COUNT)
        ]
        with transaction.atomic():
            self.codes.all().delete()
            BackupCode.objects.bulk_create(
                BackupCode(device=self, digest=self.digest(c)) for c in codes
            )
        return [f"{c[:5]}-{c[5:]}" for c in codes]

    def remaining(self) -> int:
        count: int = self.codes.filter(used_at__isnull=True).count()
        return count

    def verify_token(self, token: Any) -> bool:
        allowed, _info = self.verify_is_allowed()
        if not allowed:
            return False
        used = self.codes.filter(digest=self.digest(str(token)), used_at__isnull=True).update(
            used_at=timezone.now()
        )
        if used:
            self.throttle_reset()
            return True
        self.throttle_increment()
        return False


class BackupCode(models.Model):
    device = models.ForeignKey(BackupCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64, db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("backup code")

    def __str__(self) -> str:
        return f"backup code {self.pk} ({'used' if self.used_at else 'unused'})"


class Lockout(models.Model):
    """A lockout in force, by django-axes' account name: one row, so one event, per lockout.

    django-axes signals a lockout on every refused attempt; this row (unique per name) is
    what makes the first signal the only one recorded. It goes when the attempts are cleared.
    """

    username = models.CharField(max_length=255, unique=True)
    started_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lockout")

    def __str__(self) -> str:
        return f"lockout {self.pk} since {self.started_at:%Y-%m-%d %H:%M}"


class LoginFailureWindow(models.Model):
    """Refused logins of one account (or of names matching none) from one address, counted.

    The first refusal of a window is an access event; later ones only add to
    ``unreported``, and one summary event gives that count when the window ends (the next
    refusal after it, a right password, or any sign-in activity once it is over). So a
    guessing run cannot flood the append-only trail, and the auditor still sees how many.
    """

    # "<user id>|<address>", or "-|<address>" for every name that matches no account.
    key = models.CharField(max_length=100, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    started_at = models.DateTimeField(db_index=True)
    last_at = models.DateTimeField()
    unreported = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("refused logins being counted")

    def __str__(self) -> str:
        return f"refused logins {self.pk} since {self.started_at:%Y-%m-%d %H:%M}"


class Invitation(models.Model):
    """A newcomer's one way to a first password: a link and a code from a second person.

    Only digests are stored. The link's token is exchanged for a session at the first visit
    (later visits of the same link fail, so a copy in an access log is worth nothing) and
    expires after ``INVITATION_HOURS``. The password can be set only with the activation
    code, which a second person (not the one who issued the link) is shown once and hands
    over in person, so the administrator who made the account cannot finish it alone.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitation"
    )
    token_digest = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    code_digest = models.CharField(max_length=64, blank=True)
    code_issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    code_failures = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        constraints = [
            models.CheckConstraint(
                condition=~Q(code_issued_by=models.F("issued_by")),
                name="invitation_code_second_person",
            ),
        ]

    def __str__(self) -> str:
        return f"invitation {self.pk} ({'used' if self.used_at else 'open'})"
