from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as project_settings
from PIL import Image

from cases.models import Case, Person
from tests.referrals.support import case_of


@pytest.fixture(autouse=True)
def document_storage(settings: Any, tmp_path: Path) -> Path:
    """Keep each test's documents in its own directory (the storage alias, as configured)."""
    location = tmp_path / "documents"
    storages: dict[str, Any] = dict(project_settings.STORAGES)
    storages[project_settings.DOCUMENT_STORAGE] = {
        "BACKEND": "documents.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": str(location)},
    }
    settings.STORAGES = storages
    return location


@pytest.fixture
def case(lan_person: Person) -> Case:
    """Lan's case at clinic A."""
    return case_of(lan_person)


# 0x8825 is the EXIF pointer to the GPS block; these are the coordinates of a home.
GPS_TAG = 0x8825
GPS = {1: "N", 2: (21.0, 1.0, 44.1234), 3: "E", 4: (105.0, 50.0, 12.5678)}


def jpeg_with_gps(size: tuple[int, int] = (800, 600)) -> bytes:
    """Return a JPEG photo whose EXIF names a camera and where it was taken."""
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "SecretPhone Maker"  # Make
    exif[0x0110] = "SecretPhone 12"  # Model
    exif.get_ifd(GPS_TAG).update(GPS)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 90, 200)).save(out, format="PNG")
    return out.getvalue()


SECRET_TEXT = "Quyet dinh cua Toa an ve Tran Thi Binh"


def pdf_bytes() -> bytes:
    """Return a small PDF whose text would show in a dump if stored in clear."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n"
        b"BT /F1 12 Tf (" + SECRET_TEXT.encode() + b") Tj ET\n%%EOF\n"
    )
