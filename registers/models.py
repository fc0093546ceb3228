"""One row per import of a register file: who, which file (its hash), how far, what came of it."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField

from .export_models import ExportStatus, RegisterExport

__all__ = ["ExportStatus", "RegisterExport", "ImportStatus", "RegisterImport"]


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Running")
    CHECKED = "checked", _("Checked (dry run)")
    REFUSED = "refused", _("Refused: problems found")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Stopped by an error")


class RegisterImport(models.Model):
    """An import (or dry run) of one register file by one user, run by the background worker.

    The file itself lies in ``REGISTER_IMPORT_DIR`` under the import's id while it waits; the
    report (problems and candidate matches, which may quote the file's cells) is encrypted.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("imported by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file_name = EncryptedTextField(_("file name"), max_length=300)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    dry_run = models.BooleanField(_("dry run"), default=True)
    # Per person number of the file: "new" or the id of the person it is (ids only).
    decisions = models.JSONField(_("decisions on matches"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    rows_total = models.PositiveIntegerField(_("rows in the file"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # When the worker last said how far it got: a running import silent for
    # ``REGISTER_IMPORT_STALLED_MINUTES`` died with its worker (decision D44).
    progress_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    report = EncryptedTextField(_("report"), max_length=50_000_000, editable=False)
    # The data key the stored file is sealed with (registers.storage, D44): wrapped by the
    # key ring like every encrypted field, so key rotation covers the file too.
    data_key = EncryptedTextField(editable=False, max_length=64)

    class Meta:
        verbose_name = _("register import")
        verbose_name_plural = _("register imports")
        indexes = [models.Index(fields=["created_by", "-created_at"], name="import_by_user")]

    def __str__(self) -> str:
        return f"{self.sha256[:12]} ({self.get_status_display()})"

    @property
    def stalled(self) -> bool:
        """Return whether a running import stopped with its worker (no progress for a while).

        Its transaction died with it, so nothing of it was written; it may be run again.
        """
        minutes = getattr(settings, "REGISTER_IMPORT_STALLED_MINUTES", STALLED_MINUTES)
        last = self.progress_at or self.created_at
        return (
            self.status == ImportStatus.RUNNING
            and last is not None
            and last < timezone.now() - datetime.timedelta(minutes=minutes)
        )


STALLED_MINUTES = 10  # progress is committed every 200 rows: minutes of silence mean death
