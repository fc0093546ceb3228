"""A document on a case: its facts in clear, its name and data key encrypted, its bytes in
the document storage, encrypted under that key (``documents.files``)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from audit.history import RequestIdHistory
from cases.models import Case
from core.editing import Versioned
from core.fields import ADDRESS_MAX, NAME_MAX, EncryptedTextField


class Kind(models.TextChoices):
    CONSENT = "consent", _("Signed consent form")
    DECISION = "decision", _("Court or committee decision")
    ID_CARD = "id_card", _("ID card copy")
    MEDICAL = "medical", _("Medical certificate")
    PHOTO = "photo", _("Photo for identification")
    OTHER = "other", _("Other document")


# The referral part each kind belongs to (``referrals.models.Part`` codes): a receiver opens
# a document only when its part is shared. Consents name a guardian, as consents do in
# referrals; "other" has no part, so only viewers of the whole case open it.
KIND_PART: dict[str, str] = {
    Kind.CONSENT: "identity",
    Kind.DECISION: "treatment",
    Kind.ID_CARD: "identity",
    Kind.MEDICAL: "treatment",
    Kind.PHOTO: "identity",
    Kind.OTHER: "",
}


def _part_follows_kind() -> models.Q:
    condition = models.Q()
    for part in sorted(set(KIND_PART.values())):
        kinds = sorted(str(kind) for kind, its in KIND_PART.items() if its == part)
        condition |= models.Q(kind__in=kinds, part=part)
    return condition


class FileType(models.TextChoices):
    PDF = "application/pdf", "PDF"
    JPEG = "image/jpeg", "JPEG"
    PNG = "image/png", "PNG"


class Document(Versioned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("type of document"), max_length=20, choices=Kind)
    # Derived from the kind on every save: the referral part that opens it.
    part = models.CharField(max_length=20, blank=True, editable=False)
    dated_on = models.DateField(_("date of the document"), default=timezone.localdate)
    note = EncryptedTextField(_("note"), blank=True, max_length=ADDRESS_MAX)
    file_name = EncryptedTextField(_("file name"), blank=False, max_length=NAME_MAX)
    file_type = models.CharField(max_length=20, choices=FileType, editable=False)
    size = models.PositiveIntegerField(editable=False)  # bytes of the stored original
    # The file's own AES-256 key, wrapped by the key ring like any encrypted field: key
    # rotation re-wraps it (audit.rotation), the file's bytes need no rewrite.
    data_key = EncryptedTextField(blank=False, editable=False, max_length=64)
    # Blank once the document is withdrawn: its sealed file and thumbnail are destroyed.
    stored_as = models.CharField(max_length=100, blank=True, editable=False)
    # When the current data key was made (attached, or sealed again by
    # ``reencrypt_documents``): a re-encryption run resumes from its start time.
    keyed_at = models.DateTimeField(default=timezone.now, editable=False)
    thumbnail_as = models.CharField(max_length=100, blank=True, editable=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("added by"),
        editable=False,
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now, editable=False)
    # The record of the case the document is attached to, when it is not the case itself (a
    # screening, a referral, a service record): the record's model label and id, and the
    # record's referral part (``access.WHOLE_CASE`` for a record in no part), set once by
    # ``actions.document_attach``. A part-limited viewer needs it shared too (D55).
    record_type = models.CharField(max_length=60, blank=True, editable=False)
    record_id = models.UUIDField(null=True, blank=True, editable=False)
    record_part = models.CharField(max_length=20, blank=True, editable=False)
    # Withdrawn (D55): who, when and why (encrypted); the file is destroyed, the row stays.
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
        verbose_name=_("withdrawn by"),
    )
    withdrawal_reason = EncryptedTextField(
        _("reason for withdrawing"), blank=True, editable=False, max_length=ADDRESS_MAX
    )
    # Replaced by a new version (D55): this one stays, with its file, as an earlier version.
    replaced_by = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        related_name="replaces",
        null=True,
        blank=True,
        editable=False,
        verbose_name=_("replaced by"),
    )

    history = HistoricalRecords(bases=[RequestIdHistory])

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=Kind.values), name="document_kind_known"
            ),
            models.CheckConstraint(
                condition=models.Q(file_type__in=FileType.values), name="document_type_allowed"
            ),
            # The part always follows the kind, whatever wrote the row (a bulk write skips
            # save()): a receiver's access must never rest on a stale part.
            models.CheckConstraint(
                condition=_part_follows_kind(), name="document_part_follows_kind"
            ),
            # On the case: no record named. On a record: its type, id and part, all three,
            # so a write around the action cannot leave the record's part out.
            models.CheckConstraint(
                condition=models.Q(record_type="", record_id__isnull=True, record_part="")
                | (
                    ~models.Q(record_type="")
                    & models.Q(record_id__isnull=False)
                    & ~models.Q(record_part="")
                ),
                name="document_record_named_whole",
            ),
            # A withdrawn document has no file left; any other has one.
            models.CheckConstraint(
                condition=models.Q(
                    withdrawn_at__isnull=True, withdrawn_by__isnull=True, stored_as__gt=""
                )
                | models.Q(
                    withdrawn_at__isnull=False,
                    withdrawn_by__isnull=False,
                    stored_as="",
                    thumbnail_as="",
                ),
                name="document_withdrawn_has_no_file",
            ),
        ]
        indexes = [
            models.Index(
                fields=["record_type", "record_id"],
                name="document_record",
                condition=models.Q(record_id__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"document {self.id.hex[:8]}"

    def clean(self) -> None:
        self.part = KIND_PART.get(self.kind, "")  # before the constraints are checked

    def save(self, *args: object, **kwargs: object) -> None:
        self.part = KIND_PART.get(self.kind, "")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def is_current(self) -> bool:
        """Neither withdrawn nor replaced by a newer version."""
        return self.withdrawn_at is None and self.replaced_by_id is None

    @property
    def is_image(self) -> bool:
        return self.file_type in (FileType.JPEG, FileType.PNG)
