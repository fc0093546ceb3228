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
        # A sliced queryset counts as SELECT COUNT(*) FROM (... LIMIT cap + 1).
        rows: Any = self.object_list
        return int(rows[: self.cap + 1].count())

    @property
    def capped(self) -> bool:
        """Return whether there are more rows than were counted."""
        return self.count > self.cap
