"""A name many people share costs one page of decryptions, and the page says "more than".

The search reads blind-index candidates in batches by primary key and stops once the page
and one more true match are found (the sizes are shrunk here so a few people fill a page).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import Event
from cases import selectors
from cases.events import CaseAction
from cases.models import Person
from tests.conftest import World
from tests.factories import make_person

NAME = "Nguyễn Văn Trùng"


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selectors, "SEARCH_LIMIT", 3)
    monkeypatch.setattr(selectors, "SEARCH_BATCH", 2)


def _namesakes(world: World, n: int, commune: str = "c1", org: str = "commune_x") -> list[Person]:
    people = [
        make_person(
            full_name=NAME, residence_commune=world.units[commune], registered_by=world.orgs[org]
        )
        for _ in range(n)
    ]
    return sorted(people, key=lambda p: p.pk)


def _person_reads(queries: CaptureQueriesContext) -> int:
    return sum('FROM "cases_person"' in q["sql"] for q in queries.captured_queries)


def test_a_shared_name_returns_the_first_page_in_id_order_and_says_more(
    world: World, small_pages: None
) -> None:
    namesakes = _namesakes(world, 6)
    found = selectors.person_search_page(viewer=world.users["minh"], kind="name", query=NAME)
    assert found.people == namesakes[:3]
    assert found.more is True
    event = Event.objects.filter(action=CaseAction.SEARCH).latest("seq")
    assert event.detail == {
        "kind": "name",
        "found": 3,
        "people": [str(p.pk) for p in namesakes[:3]],
        "more": True,
    }


def test_the_search_stops_reading_once_the_page_is_full(world: World, small_pages: None) -> None:
    _namesakes(world, 12)
    with CaptureQueriesContext(connection) as queries:
        found = selectors.person_search_page(viewer=world.users["minh"], kind="name", query=NAME)
    assert len(found.people) == 3
    # Batches of two: the page and one more match are four candidates, two statements, not six.
    assert _person_reads(queries) == 2


def test_a_page_spanning_batches_holds_only_visible_true_matches(
    world: World, small_pages: None
) -> None:
    seen = _namesakes(world, 3)
    _namesakes(world, 4, commune="c4", org="social")  # not the commune officer's
    found = selectors.person_search_page(viewer=world.users["minh"], kind="name", query=NAME)
    assert found.people == seen
    assert found.more is False


def test_the_page_says_more_than(world: World, small_pages: None) -> None:
    _namesakes(world, 5)
    response = world.client("minh").post(
        reverse("cases:person_search"), {"kind": "name", "q": "nguyen van trung"}
    )
    assert response.status_code == 200
    assert 'data-testid="search-more"' in response.content.decode()


def test_an_exact_count_below_a_page_says_no_more(world: World, small_pages: None) -> None:
    _namesakes(world, 3)
    response = world.client("minh").post(
        reverse("cases:person_search"), {"kind": "name", "q": "nguyen van trung"}
    )
    assert 'data-testid="search-more"' not in response.content.decode()


def _copies(person: Person, n: int, **columns: str) -> None:
    """Insert n copies of a person's row under new ids, some columns replaced by SQL."""
    names = [str(f.column) for f in Person._meta.concrete_fields if f.column != "id"]
    values = [columns.get(name, f'"{name}"') for name in names]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO cases_person (id, {', '.join(names)}) "  # noqa: S608 (column names)
            f"SELECT gen_random_uuid(), {', '.join(values)} FROM cases_person, "
            "generate_series(1, %s) WHERE cases_person.id = %s",
            [n, person.pk],
        )


def _first_batch_sql(world: World, **search: object) -> str:
    """Return the statement of the search's first read of people."""
    with CaptureQueriesContext(connection) as queries:
        selectors.person_search_page(viewer=world.users["hoa"], **search)  # type: ignore[arg-type]
    return next(q["sql"] for q in queries.captured_queries if 'FROM "cases_person"' in q["sql"])


def _plan(sql: str) -> str:
    """EXPLAIN a statement with fresh statistics, as the planner chooses it."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_person")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("search", "index"),
    [
        ({"kind": "name", "query": NAME}, "person_name_by_id"),
        ({"kind": "name", "query": NAME, "birth_year": 1990}, "person_name_year_by_id"),
    ],
)
def test_a_common_name_is_read_in_id_order_from_the_index_not_sorted(
    world: World, search: dict[str, object], index: str
) -> None:
    """The batch is a range of the (name index, id) index that stops at the batch size, not
    every holder of the name read and sorted (issue 10: a name 1,361 people share cost a sort
    of 1,361 rows at 1,000,000 people). 2,000 holders of the name among 6,000 people."""
    holder = make_person(
        full_name=NAME,
        birth_year=1990,
        residence_commune=world.units["c1"],
        registered_by=world.orgs["commune_x"],
    )
    sql = _first_batch_sql(world, **search)
    # The copies' ciphertexts are bound to the original row, so they are planned, not read.
    _copies(holder, 2_000)
    spread = "(random() * 1000000)::int"
    _copies(holder, 4_000, name_index=spread, name_year_index=spread, citizen_id_index=spread)
    plan = _plan(sql)
    assert f"Index Scan using {index} on cases_person" in plan, plan
    assert "Sort" not in plan, plan
