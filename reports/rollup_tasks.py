"""The figures roll-up's background task (django.tasks, run by ``manage.py db_worker``)."""

from __future__ import annotations

from django.tasks import task

from . import rollup


@task()
def refresh_figures() -> dict[str, int]:
    """Recompute the communes whose figures are stale (``reports.rollup.refresh``)."""
    return rollup.refresh()
