"""Database functions the figures share, portable to SQLite for the demo.

``DaysBetween`` and ``AddMonths`` do date arithmetic in the database (PostgreSQL; SQLite's
julianday/date for the local demo); ``Median`` is PostgreSQL's ``percentile_cont(0.5)``
(the demo takes medians in Python, it has no ordered-set aggregate).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Aggregate, DateField, FloatField, Func, IntegerField


class AddMonths(Func):
    """A date column ``months`` calendar months later (the month's last day if shorter)."""

    output_field = DateField()

    def __init__(self, expression: Any, months: int) -> None:
        super().__init__(expression)
        self.months = int(months)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # date + interval clamps to the month's last day (31/03 + 6 months = 30/09).
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(({sql} + interval '{self.months} months') AS date)", params

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # The demo only: SQLite rolls 31/03 + 6 months over to 01/10 instead of clamping.
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, '{self.months:+d} months')", params


class DaysBetween(Func):
    """The whole days from one date expression to another (``end - start``)."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )


class Median(Aggregate):
    """The median of an expression (PostgreSQL's ``percentile_cont(0.5)``)."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()
