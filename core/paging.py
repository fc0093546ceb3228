"""Pages of long lists whose count stays cheap at national scale."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class CappedPaginator(Paginator):  # type: ignore[type-arg]
    """A paginator that counts at most ``cap`` rows (one more, to know there are more).

    ``COUNT(*)`` over a whole scope (a province's cases, a year of audit events) costs as
    much as the scope is large; counting at most ``cap + 1`` rows is bounded. Lists show
    "more than 10,000" and offer filters instead of page 500.
    """

    def __init__(self, object_list: Any, per_page: int, *, cap: int = COUNT_CAP) -> None:
        super().__init__(object_list, per_page)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        # SELECT COUNT(*) FROM (... LIMIT cap + 1), without the ORDER BY: any cap + 1 rows
        # tell that there are more, so the database stops as soon as it has found them.
        rows: Any = self.object_list
        return int(rows.order_by()[: self.cap + 1].count())

    def page(self, number: Any) -> Any:
        """Return a page, finding its rows by primary key first (a narrow sort), then
        loading only those rows with their joins: a deep page costs little more than the
        first."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows: Any = self.object_list
        ids = list(rows.values_list("pk", flat=True)[bottom : bottom + self.per_page])
        return self._get_page(list(rows.filter(pk__in=ids)), number, self)  # type: ignore[attr-defined]

    @property
    def capped(self) -> bool:
        """Return whether there are more rows than were counted."""
        return self.count > self.cap
