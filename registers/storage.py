"""Where an uploaded register file waits for its import: one file per import id.

The directory is ``REGISTER_IMPORT_DIR`` (default: a folder under the system's temporary
directory, readable by the application's user only). A file is removed once its import
has been written; a refused or checked file stays until the user imports it again or the
directory is cleaned (docs/import.md).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from django.conf import settings


def directory() -> Path:
    """Return the import directory, created with owner-only permissions."""
    configured = getattr(settings, "REGISTER_IMPORT_DIR", "")
    path = Path(configured) if configured else Path(tempfile.gettempdir()) / "hoa-nhap-imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def path_of(import_id: str) -> Path:
    """Return where the file of an import lies (the id is a UUID: no path can be injected)."""
    return directory() / str(import_id).replace("/", "")


def store(import_id: str, source: BinaryIO) -> Path:
    """Copy an uploaded file into the directory under the import's id."""
    target = path_of(import_id)
    source.seek(0)
    with target.open("wb") as out:
        shutil.copyfileobj(source, out)
    target.chmod(0o600)
    return target


def discard(import_id: str) -> None:
    """Remove an import's file, if it is still there."""
    path_of(import_id).unlink(missing_ok=True)
