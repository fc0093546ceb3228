"""Let the test harness, and only it, empty the append-only tables between tests.

``audit/0004_refuse_truncate`` refuses TRUNCATE of the access log, its seals and every change
history, and so ``manage.py flush``. pytest-django empties the database with that same flush
after each transactional test (``transactional_db``, ``live_server``, the browser tests).
For that flush only, the harness switches triggers off for its own session with
``session_replication_role = replica``, which PostgreSQL lets only a superuser set (the suite
connects as the throwaway cluster's superuser; the application's role is no superuser and
holds no TRUNCATE: docs/audit.md). A flush a test calls itself still meets the trigger.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connections
from django.test import TransactionTestCase


def _set_replication_role(names: list[str], value: str) -> None:
    for name in names:
        connection = connections[name]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET session_replication_role = {value}")


def install() -> None:
    """Wrap the flush of ``TransactionTestCase`` teardown; idempotent."""
    # Django's private hooks, not in its type stubs.
    original: Callable[[Any], None] = TransactionTestCase._fixture_teardown  # type: ignore[attr-defined]
    if getattr(original, "hoa_nhap_harness", False):
        return

    def _fixture_teardown(self: TransactionTestCase) -> None:
        names = list(self._databases_names(include_mirrors=False))  # type: ignore[attr-defined]
        _set_replication_role(names, "replica")
        try:
            original(self)
        finally:
            _set_replication_role(names, "DEFAULT")

    _fixture_teardown.hoa_nhap_harness = True  # type: ignore[attr-defined]
    TransactionTestCase._fixture_teardown = _fixture_teardown  # type: ignore[attr-defined]
