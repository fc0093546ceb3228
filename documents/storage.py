"""Local-disk storage for documents that has no URL: files leave only through the views."""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    """A FileSystemStorage whose files have no public address (not under MEDIA_URL)."""

    def url(self, name: str | None) -> str:
        raise ValueError("documents are never served from a public path: use the document views")
