"""Long lists count at most a cap of rows, so a page costs the same at any scale."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import OrganisationType
from core.paging import CappedPaginator


@pytest.mark.django_db
def test_the_count_stops_at_the_cap() -> None:
    rows = OrganisationType.objects.order_by("code")  # ten types are loaded by a migration
    assert rows.count() == 10
    capped = CappedPaginator(rows, 2, cap=5)
    with CaptureQueriesContext(connection) as queries:
        assert capped.count == 6  # the cap and one more: "more than 5"
    assert capped.capped
    assert "LIMIT 6" in queries.captured_queries[0]["sql"]
    assert [t.code for t in capped.page(2)] == [t.code for t in rows[2:4]]

    whole = CappedPaginator(rows, 2, cap=50)
    assert (whole.count, whole.capped, whole.num_pages) == (10, False, 5)


@pytest.mark.django_db
def test_a_page_is_found_by_key_then_loaded() -> None:
    rows = OrganisationType.objects.order_by("-code")
    paginator = CappedPaginator(rows, 3, cap=50)
    with CaptureQueriesContext(connection) as queries:
        page = paginator.page(2)
    assert [t.code for t in page] == [t.code for t in rows[3:6]]
    # One query for the count, one narrow query for the keys, one for the rows.
    assert len(queries.captured_queries) == 3
    assert "ORDER BY" not in queries.captured_queries[0]["sql"]


@pytest.mark.django_db
def test_a_page_can_start_after_the_last_row_of_the_one_before() -> None:
    from core.paging import after_cursor, cursor_of

    order = ("-code",)
    rows = OrganisationType.objects.order_by(*order)
    paginator = CappedPaginator(rows, 3, cap=50)
    first = paginator.page(1)
    cursor = cursor_of(first.object_list[-1], order)
    with CaptureQueriesContext(connection) as queries:
        second = paginator.page(2, after=after_cursor(rows, order, cursor))
    assert [t.code for t in second] == [t.code for t in rows[3:6]]
    keys_query = queries.captured_queries[-2]["sql"]
    assert "OFFSET" not in keys_query and '"code") <' in keys_query
    # A cursor typed by hand is ignored (the page falls back to counting from the start).
    assert after_cursor(rows, order, "not-a-cursor") is None
    assert after_cursor(rows, ("code", "-name"), cursor) is None  # mixed directions


@pytest.mark.django_db
def test_a_long_part_settles_the_count_without_counting_the_whole_list() -> None:
    rows = OrganisationType.objects.order_by("code")
    codes = list(rows.values_list("code", flat=True))
    long_part = OrganisationType.objects.filter(code__in=codes[:7])
    short_part = OrganisationType.objects.filter(code__in=codes[7:])
    capped = CappedPaginator(rows, 2, cap=5, parts=[short_part, long_part])
    with CaptureQueriesContext(connection) as queries:
        assert capped.count == 6
    assert capped.capped
    # The short part, then the long one; the whole list is never counted.
    assert len(queries.captured_queries) == 2


@pytest.mark.django_db
def test_short_parts_leave_the_count_to_the_whole_list() -> None:
    rows = OrganisationType.objects.order_by("code")
    codes = list(rows.values_list("code", flat=True))
    # Overlapping parts, each under the cap: only counting the list itself is right.
    parts = [rows.filter(code__in=codes[:4]), rows.filter(code__in=codes[2:6])]
    paginator = CappedPaginator(rows.filter(code__in=codes[:6]), 2, cap=5, parts=parts)
    assert (paginator.count, paginator.capped) == (6, True)
    exact = CappedPaginator(rows.filter(code__in=codes[:5]), 2, cap=5, parts=parts[:1])
    assert (exact.count, exact.capped) == (5, False)
