"""The reports app's background tasks (django.tasks, run by ``manage.py db_worker``).

A task's arguments are stored in clear in the task table: ids only (decision D36).
"""

from __future__ import annotations

from django.tasks import task

from . import files


@task()
def report_file_build(file_id: str) -> None:
    """Build one figures report file for its requester (``reports.files.file_build``)."""
    files.file_build(file_id=file_id)
