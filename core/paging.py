"""Pages of long lists whose count stays cheap at national scale."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class CappedPaginator(Paginator):  # type: ignore[type-arg]
    """A paginator that counts at most ``cap`` rows (one more, to know there are more).

    ``COUNT(*)`` over a whole scope (a province's cases, a year of audit events) costs as
    much as the scope is large; counting at most ``cap + 1`` rows is bounded. Lists show
    "more than 10,000" and offer filters instead of page 500.
    """

    def __init__(
        self, object_list: Any, per_page: int, *, cap: int | None = None, parts: Any = ()
    ) -> None:
        super().__init__(object_list, per_page)
        self.cap = COUNT_CAP if cap is None else cap
        # Subsets of object_list whose union it is, each cheap to count (one indexed
        # comparison): if one holds more than cap rows, so does the list.
        self.parts = list(parts)

    @cached_property
    def count(self) -> int:
        # A long part settles it with an index-only count; otherwise every part is short and
        # counting the whole list touches at most a few times cap rows.
        for part in self.parts:
            if _count_to(part, self.cap + 1) > self.cap:
                return self.cap + 1
        return _count_to(self.object_list, self.cap + 1)

    def page(self, number: Any, *, after: Any = None) -> Any:
        """Return a page, finding its rows by primary key first (a narrow sort), then
        loading only those rows with their joins.

        ``after`` (from ``after_cursor``) starts the page just after the previous page's last
        row instead of skipping ``number - 1`` pages: a deep page then costs what the first
        does.
        """
        number = self.validate_number(number)
        rows: Any = self.object_list
        if after is not None:
            ids = list(after.values_list("pk", flat=True)[: self.per_page])
        else:
            bottom = (number - 1) * self.per_page
            ids = list(rows.values_list("pk", flat=True)[bottom : bottom + self.per_page])
        return self._get_page(list(rows.filter(pk__in=ids)), number, self)  # type: ignore[attr-defined]

    @property
    def capped(self) -> bool:
        """Return whether there are more rows than were counted."""
        return self.count > self.cap


def _count_to(rows: Any, limit: int) -> int:
    """Count rows, stopping at ``limit``.

    SELECT COUNT(*) FROM (... LIMIT limit), without the ORDER BY: any ``limit`` rows tell
    that there are that many, so the database stops as soon as it has found them.
    """
    return int(rows.order_by()[:limit].count())


def runs_one_way(order: tuple[str, ...]) -> bool:
    """Return whether every key of an order runs the same way: only then is "after this row"
    a single row comparison, so a cursor can continue it."""
    return len({name.startswith("-") for name in order}) == 1


def _key_columns(model: Any, order: tuple[str, ...]) -> tuple[list[Any], bool] | None:
    """Return the order's model fields and whether it descends, or None when it mixes
    directions."""
    if not runs_one_way(order):
        return None
    fields = [model._meta.get_field(name.lstrip("-")) for name in order]
    return fields, order[0].startswith("-")


def cursor_of(obj: Any, order: tuple[str, ...]) -> str:
    """Return an opaque cursor naming where ``obj`` sits in ``order`` (for the next page)."""
    values = [str(getattr(obj, name.lstrip("-"))) for name in order]
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def after_cursor(rows: Any, order: tuple[str, ...], cursor: str | None) -> Any | None:
    """Return ``rows`` limited to those after the cursor in ``order`` (a row comparison the
    order's index answers), or None when there is no usable cursor (then page by offset)."""
    keys = _key_columns(rows.model, order)
    if not cursor or keys is None:
        return None
    fields, descending = keys
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        texts = json.loads(raw)
        if not isinstance(texts, list) or len(texts) != len(fields):
            return None
        values = [field.to_python(text) for field, text in zip(fields, texts, strict=True)]
    except (ValueError, TypeError, ValidationError, binascii.Error):
        return None  # a cursor typed by hand: ignore it rather than fail
    table = connection.ops.quote_name(rows.model._meta.db_table)
    columns = ", ".join(f"{table}.{connection.ops.quote_name(f.column)}" for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    params = [f.get_db_prep_value(v, connection) for f, v in zip(fields, values, strict=True)]
    comparison = "<" if descending else ">"
    # Identifiers come from model metadata, quoted; the values are parameters.
    sql = f"({columns}) {comparison} ({marks})"
    condition = RawSQL(sql, params, output_field=BooleanField())  # noqa: S611  # nosec B611
    return rows.filter(condition)
