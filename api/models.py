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

    The client's cursor is the ``seq`` of the last entry it received (docs/api.md, "Sync").
    """

    class Kind(models.TextChoices):
        PERSON = "person", _("person")
        CASE = "case", _("case")

    seq = models.BigAutoField(primary_key=True)
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    object_type = models.CharField(max_length=10, choices=Kind)
    object_id = models.UUIDField()
    version = models.PositiveIntegerField()
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["client", "object_type", "object_id", "-seq"]),
        ]

    def __str__(self) -> str:
        return f"{self.seq} {self.object_type} {self.object_id} v{self.version}"
