"""The register export's background task (django.tasks, run by ``manage.py db_worker``).

The argument is the export's id only; the task reads who asked and for what from the row.
"""

from __future__ import annotations

from django.tasks import task

from . import export


@task()
def register_export_task(export_id: str) -> int:
    """Write a queued register export's file; return how many people it holds."""
    return export.register_export_run(export_id=export_id)
