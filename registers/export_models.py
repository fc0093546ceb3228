"""A register export run by the background worker: who asked, for what, how far it got.

Small exports are written inside the request and leave only their audit events; an export
of more people than ``REGISTER_EXPORT_INLINE_PEOPLE`` is queued as a task
(``registers.export_tasks``) and kept here, so the page can show its progress and hand the
file to the one user who asked for it. The row holds no personal data: the scope as a kind
and a unit, counts, and the name of the file in ``REGISTER_EXPORT_DIR``.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import AdministrativeUnit
from core.fields import EncryptedTextField


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("waiting for the worker")
    RUNNING = "running", _("being written")
    DONE = "done", _("ready to download")
    FAILED = "failed", _("failed")


class RegisterExport(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("scope"), max_length=20)
    unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    out_format = models.CharField(_("format"), max_length=4)
    status = models.CharField(
        _("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    total = models.PositiveIntegerField(_("people in the scope"), default=0)
    people = models.PositiveIntegerField(_("people written"), default=0)
    file_name = models.CharField(_("file name"), max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The data key the file is sealed with as it is written (registers.storage, D44),
    # wrapped by the key ring like every encrypted field.
    data_key = EncryptedTextField(editable=False, max_length=64)

    class Meta:
        verbose_name = _("register export")
        verbose_name_plural = _("register exports")
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="regexport_user")]

    requested_by_id: int
    unit_id: int | None

    def __str__(self) -> str:
        return f"{self.kind} {self.out_format} {self.get_status_display()}"

    @property
    def path(self) -> Path:
        """Return where the finished file is kept (named by the export's id only)."""
        return Path(settings.REGISTER_EXPORT_DIR) / f"{self.pk}.{self.file_name.rsplit('.', 1)[-1]}"

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.people / self.total)) if self.total else 0
