"""The import's background task (django.tasks, run by ``manage.py db_worker``).

Its one argument is the import's id: the file waits in the import directory under that id,
and the row says who imports it and how (decisions hold person ids only).
"""

from __future__ import annotations

from uuid import UUID

from django.tasks import task

from . import storage
from .actions import import_run
from .models import RegisterImport


@task()
def register_import(import_id: str) -> str:
    """Run a queued import; return its status."""
    key = RegisterImport.objects.only("id", "data_key").get(pk=import_id).data_key
    row = import_run(import_id=UUID(import_id), path=storage.load(import_id, key))
    if row.status == "done":
        storage.discard(import_id)  # written: the file is no longer needed
    return str(row.status)
