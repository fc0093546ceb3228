"""What a document's file is and how its bytes are kept.

- **Checked by content.** The type is read from the first bytes (PDF, JPEG, PNG), never from
  the name or the browser's content type; a name whose extension says another type, or a
  content that is none of the three, is refused with a message saying so.
- **Photos without metadata.** A JPEG or PNG is decoded and written again by Pillow (upright,
  as its orientation tag said), so the stored original and its thumbnail keep no EXIF (no GPS,
  camera or time), no text chunks, and nothing appended after the image.
- **Envelope encryption.** Each document has its own random 256-bit data key; the original
  and the thumbnail are sealed with AES-256-GCM under it, bound to the document id and to
  which of the two they are. The data key is stored in ``Document.data_key``, an encrypted
  field, so the key ring wraps it and key rotation re-wraps it (decision D41).
- **Storage.** Sealed bytes go to the storage alias ``settings.DOCUMENT_STORAGE`` under a
  random name: local disk or an S3-compatible store, never a public URL.
"""

from __future__ import annotations

import base64
import io
import os
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from core.crypto import DecryptionError

from .models import FileType

MAGIC = b"HNF1"  # the sealed file's format, so a stored object says what it is
NONCE_BYTES = 12
MAX_PIXELS = 40_000_000  # a phone photo is 12-50 MP; refuse decompression bombs before decoding
THUMBNAIL_PX = 320

# Content signatures: the first bytes of each allowed type.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", FileType.PDF),
    (b"\xff\xd8\xff", FileType.JPEG),
    (b"\x89PNG\r\n\x1a\n", FileType.PNG),
)
EXTENSIONS: dict[str, str] = {
    ".pdf": FileType.PDF,
    ".jpg": FileType.JPEG,
    ".jpeg": FileType.JPEG,
    ".png": FileType.PNG,
}
_PILLOW_FORMAT: dict[str, str] = {FileType.JPEG: "JPEG", FileType.PNG: "PNG"}


@dataclass(frozen=True)
class Checked:
    """An upload that passed: its type (from content), the bytes to keep and a thumbnail."""

    file_type: str
    content: bytes
    thumbnail: bytes | None


def sniff(head: bytes) -> str | None:
    """Return the allowed type these first bytes are, or None."""
    for signature, file_type in SIGNATURES:
        if head.startswith(signature):
            return file_type
    return None


def check_upload(*, name: str, data: bytes) -> Checked:
    """Return the file to keep, or raise ValidationError saying why it is refused."""
    limit_mb = settings.DOCUMENT_MAX_BYTES // (1024 * 1024)
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    if len(data) > settings.DOCUMENT_MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(limit)s MB: scan it at a lower resolution.")
            % {"limit": limit_mb},
            code="too_large",
        )
    found = sniff(data[:16])
    if found is None:
        raise ValidationError(
            _(
                "This file is not a PDF, JPEG or PNG: its content was checked, whatever its "
                "name says. Save the scan or photo as PDF, JPEG or PNG and attach it again."
            ),
            code="type_refused",
        )
    claimed = EXTENSIONS.get(os.path.splitext(name.lower())[1])
    if claimed != found:
        raise ValidationError(
            _(
                "The file's name (%(name)s) does not match its content, which is %(found)s: "
                "the file may be disguised. Name it .pdf, .jpg or .png as its content is."
            )
            % {"name": name, "found": FileType(found).label},
            code="type_mismatch",
        )
    if found == FileType.PDF:
        return Checked(found, data, None)
    return _clean_image(found, data)


def _clean_image(file_type: str, data: bytes) -> Checked:
    unreadable = ValidationError(
        _("The picture cannot be read: the file is damaged or too large. Take the photo again."),
        code="image_unreadable",
    )
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if image.format != _PILLOW_FORMAT[file_type] or width * height > MAX_PIXELS:
                raise unreadable
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise unreadable from None
    return Checked(file_type, _encode(upright, file_type), _thumbnail(upright))


def _encode(image: Image.Image, file_type: str) -> bytes:
    """Write the pixels only: no EXIF, ICC, XMP or text chunks are passed on."""
    image.info.clear()  # what Pillow would otherwise carry over from the source file
    out = io.BytesIO()
    if file_type == FileType.JPEG:
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        image.save(out, format="JPEG", quality=90)
    else:
        image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    small = image.convert("RGB")
    small.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=80)
    return out.getvalue()


# --- envelope encryption ---------------------------------------------------------------


def new_data_key() -> str:
    """Return a fresh random 256-bit data key as text (kept wrapped in ``data_key``)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _aad(document_id: uuid.UUID, role: str) -> bytes:
    return f"hoa-nhap|file|v1|{document_id}|{role}".encode()


def seal(data: bytes, *, data_key: str, document_id: uuid.UUID, role: str) -> bytes:
    """Encrypt a file's bytes under its data key, bound to the document and its role."""
    nonce = os.urandom(NONCE_BYTES)
    cipher = AESGCM(base64.urlsafe_b64decode(data_key))
    return MAGIC + nonce + cipher.encrypt(nonce, data, _aad(document_id, role))


def unseal(sealed: bytes, *, data_key: str, document_id: uuid.UUID, role: str) -> bytes:
    """Decrypt a stored file, or raise DecryptionError if it is not this document's."""
    if not sealed.startswith(MAGIC) or len(sealed) < len(MAGIC) + NONCE_BYTES + 16:
        raise DecryptionError("not a Hòa Nhập sealed file")
    nonce = sealed[len(MAGIC) : len(MAGIC) + NONCE_BYTES]
    cipher = AESGCM(base64.urlsafe_b64decode(data_key))
    try:
        return cipher.decrypt(nonce, sealed[len(MAGIC) + NONCE_BYTES :], _aad(document_id, role))
    except InvalidTag:
        raise DecryptionError(
            f"the {role} of document {document_id} does not authenticate"
        ) from None


# --- storage ---------------------------------------------------------------------------


def storage() -> Storage:
    """Return the configured document storage (never the public media or static one)."""
    return storages[settings.DOCUMENT_STORAGE]


def store(sealed: bytes) -> str:
    """Save sealed bytes under a random name; return the name the storage chose."""
    name = f"{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}.bin"
    return storage().save(name, ContentFile(sealed))


def load(name: str) -> bytes:
    """Read sealed bytes back from the storage."""
    with storage().open(name, "rb") as handle:
        data: bytes = handle.read()
    return data
