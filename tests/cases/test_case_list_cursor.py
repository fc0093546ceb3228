"""The case list's "next" link starts the next page after the last row shown (no OFFSET)."""

from __future__ import annotations

import html
import re
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Person
from tests.conftest import World
from tests.factories import make_case


def test_next_page_by_cursor_matches_the_page_by_number(world: World, lan_person: Person) -> None:
    for _ in range(60):
        make_case(person=lan_person, organisation=world.orgs["clinic_a"])
    client = world.client("lan")
    first = client.get(reverse("cases:case_list")).content.decode()
    link = re.search(r'href="\?([^"]*after=[^"]*)"', first)
    assert link is not None, "the next link carries a cursor"
    with CaptureQueriesContext(connection) as queries:
        by_cursor = client.get(reverse("cases:case_list") + "?" + html.unescape(link.group(1)))
    assert not any("OFFSET" in q["sql"] for q in queries.captured_queries)
    by_number = client.get(reverse("cases:case_list") + "?page=2")
    ids = [c.pk for c in by_cursor.context["page"].object_list]
    assert len(ids) == 11
    assert ids == [c.pk for c in by_number.context["page"].object_list]
    # A tampered cursor falls back to the page number: no error.
    assert client.get(reverse("cases:case_list") + "?page=2&after=%%%").status_code == 200


def test_the_unfiltered_list_counts_through_the_rule_clauses(
    world: World, lan_person: Person, monkeypatch: Any
) -> None:
    """The total a case list shows is the same whether a long clause settles it or not."""
    from cases import selectors
    from core import paging

    for _ in range(6):
        make_case(person=lan_person, organisation=world.orgs["clinic_a"])
    lan = world.users["lan"]
    whole = selectors.case_list_for(viewer=lan).count()
    assert whole == 7
    for cap, expected in ((3, selectors.Total(3, at_least=True)), (50, selectors.Total(7))):
        monkeypatch.setattr(paging, "COUNT_CAP", cap)
        _page, total = selectors.case_list_page(viewer=lan, page_number="1")
        assert total == expected
        filtered = selectors.CaseFilters(status="open")
        _page, total = selectors.case_list_page(viewer=lan, filters=filtered, page_number="1")
        assert total == expected
