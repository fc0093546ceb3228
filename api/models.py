"""API clients (machines calling /api/v1/), their rate windows and what sync told each one.

A client acts through a service account of its own (``account``): a user with no usable
password whose staff profile (organisation, scope unit, role) went through the same dual
control as any role (``cases.roles.staff_profile_save``), so every access rule applies to
it unchanged. Only a hash of its token is kept.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiClient(models.Model):
    """A system allowed to call the API with a bearer token, acting as its service account."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=100, unique=True)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_client",
        verbose_name=_("service account"),
    )
    # The token's public part, to find the row; the secret part is only hashed.
    token_prefix = models.CharField(max_length=16, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, editable=False)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    rate_per_minute = models.PositiveIntegerField(_("calls per minute"), default=120)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rate_per_minute__gte=1), name="api_client_rate_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ApiRateWindow(models.Model):
    """How many calls a client made in one minute, and whether a refusal was recorded."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    minute = models.DateTimeField()
    calls = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "minute"], name="api_rate_window_once"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.minute:%Y-%m-%d %H:%M}"


class SyncEntry(models.Model):
    """One change the sync endpoint handed a client: the object, the version it was told
    (0: gone, i.e. deleted or out of the client's scope) and its place in the client's order.

    The client's cursor is the ``seq`` of the last entry it received (docs/api.md, "Sync");
    the entries after a cursor are given again when the answer to a page was lost.
    """

    seq = models.BigAutoField(primary_key=True)
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    # A sync kind (``api.feed``): person, case, or a record kind (screening, dose, ...).
    object_type = models.CharField(max_length=20)
    # A UUID, or a number for the kinds keyed by one (doses).
    object_id = models.CharField(max_length=40)
    case_id = models.UUIDField(null=True, blank=True)
    version = models.PositiveIntegerField()
    deleted = models.BooleanField(default=False)
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["client", "object_type", "object_id", "-seq"]),
        ]

    def __str__(self) -> str:
        return f"{self.seq} {self.object_type} {self.object_id} v{self.version}"


class Change(models.Model):
    """One row of the change feed: an insert, update or delete of a synced table, written by
    a PostgreSQL trigger in the writing transaction (``api.feed``, decision D59).

    ``xid`` is the writing transaction's id: sync hands out only rows of transactions no
    running one can precede, in (xid, seq) order, so a row committed late is never skipped.
    """

    class Op(models.TextChoices):  # internal: never shown, so not translated
        INSERT = "I"
        UPDATE = "U"
        DELETE = "D"

    seq = models.BigAutoField(primary_key=True)
    xid = models.BigIntegerField()
    kind = models.CharField(max_length=20)
    object_id = models.CharField(max_length=40)
    case_id = models.UUIDField(null=True, blank=True)
    version = models.PositiveIntegerField()
    op = models.CharField(max_length=1, choices=Op)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["xid", "seq"], name="api_change_order")]

    def __str__(self) -> str:
        return f"{self.xid}/{self.seq} {self.op} {self.kind} {self.object_id}"


class SyncState(models.Model):
    """Where a client's sync stands: a full walk of what it sees (first pull, or a resync
    after its reach changed), the sweep of what it was told for what it no longer sees, then
    the change feed from a position (``feed_xid``, ``feed_seq``)."""

    class Phase(models.TextChoices):  # internal: never shown, so not translated
        SNAPSHOT = "snapshot"
        SWEEP = "sweep"
        FEED = "feed"

    client = models.OneToOneField(
        ApiClient, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    phase = models.CharField(max_length=10, choices=Phase, default=Phase.SNAPSHOT)
    # The walk's place: the kind (``api.feed.kinds()`` order, or the sweep's kind) and the
    # last id done.
    kind = models.CharField(max_length=20, blank=True)
    after = models.CharField(max_length=40, blank=True)
    feed_xid = models.BigIntegerField(default=0)
    feed_seq = models.BigIntegerField(default=0)
    reach = models.CharField(max_length=64, blank=True)
    resyncs = models.PositiveIntegerField(default=0)
    # The people read through a move out's read period at the last page (comma-separated),
    # and the people a walk is limited to (none: a full walk), with how many such walks ran.
    moved_out = models.TextField(blank=True)
    focus = models.TextField(blank=True)
    focused = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.client_id} {self.phase}"


class SyncTold(models.Model):
    """The last version sync told a client of an object (0: told it was gone); one row per
    client and object, so what was told is read by key, never by scanning pages."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    object_id = models.CharField(max_length=40)
    case_id = models.UUIDField(null=True, blank=True)
    version = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "kind", "object_id"], name="api_sync_told_once"
            ),
        ]
        indexes = [models.Index(fields=["client", "case_id"], name="api_sync_told_case")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.kind} {self.object_id} v{self.version}"
