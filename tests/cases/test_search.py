"""Blind-index lookups by citizen ID, phone and name, with false positives filtered."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases import selectors
from cases.models import Person
from tests.conftest import World
from tests.factories import make_person


@pytest.fixture
def binh(world: World) -> Person:
    return make_person(
        full_name="Trần Thị Bình",
        sex="F",
        birth_year=1991,
        citizen_id="010191000123",
        phone="0987654321",
        residence_commune=world.units["c1"],
        registered_by=world.orgs["clinic_a"],
    )


@pytest.mark.parametrize(
    ("kind", "query", "year"),
    [
        ("citizen_id", "010191000123", None),
        ("citizen_id", "0101 9100 0123", None),
        ("phone", "0987654321", None),
        ("phone", "+84 987 654 321", None),
        ("name", "Trần Thị Bình", None),
        ("name", "tran thi binh", None),
        ("name", "  TRẦN   thị  bình ", None),
        ("name", "Tran Thi Binh", 1991),
    ],
)
def test_lookup_finds_the_person(
    world: World, binh: Person, kind: selectors.SearchKind, query: str, year: int | None
) -> None:
    found = selectors.person_search(
        viewer=world.users["lan"], kind=kind, query=query, birth_year=year
    )
    assert found == [binh]


def test_wrong_birth_year_or_other_name_finds_nobody(world: World, binh: Person) -> None:
    lan = world.users["lan"]
    assert (
        selectors.person_search(viewer=lan, kind="name", query="Trần Thị Bình", birth_year=1990)
        == []
    )
    assert selectors.person_search(viewer=lan, kind="name", query="Trần Thị Bích") == []
    assert selectors.person_search(viewer=lan, kind="citizen_id", query="010191000124") == []


def test_lookup_only_searches_what_the_user_may_see(world: World, binh: Person) -> None:
    """ASVS 8.2.2: search goes through the visibility entry point."""
    found = selectors.person_search(
        viewer=world.users["tuan"], kind="citizen_id", query="010191000123"
    )
    assert found == []


def test_colliding_blind_index_is_filtered_after_decryption(world: World, binh: Person) -> None:
    """A 16-bit index collides on purpose; the selector must drop the stranger."""
    field = Person._meta.get_field("name_index")
    target = binh.name_index
    n = 0
    while True:  # ~65,536 tries on average: find another name with the same index
        n += 1
        name = f"Người Va Chạm {n}"
        if field.compute(name) == target:
            break
    stranger = make_person(
        full_name=name,
        citizen_id="",
        residence_commune=world.units["c1"],
        registered_by=world.orgs["clinic_a"],
    )
    assert stranger.name_index == binh.name_index
    lan = world.users["lan"]
    assert selectors.person_search(viewer=lan, kind="name", query="Trần Thị Bình") == [binh]
    assert selectors.person_search(viewer=lan, kind="name", query=name) == [stranger]


def test_search_page_shows_matches(world: World, binh: Person) -> None:
    response = world.client("lan").post(
        reverse("cases:person_search"), {"kind": "name", "q": "tran thi binh"}
    )
    assert response.status_code == 200
    assert "Trần Thị Bình" in response.content.decode()
    assert reverse("cases:person_detail", args=[binh.pk]) in response.content.decode()


def test_search_terms_never_travel_in_the_url(world: World, binh: Person) -> None:
    """ASVS 14.2.1: identifiers are sent in the body, not the query string."""
    client = world.client("lan")
    response = client.get(reverse("cases:person_search"), {"kind": "name", "q": "Trần Thị Bình"})
    assert "Trần Thị Bình" not in response.content.decode()
    assert '<form method="post"' in response.content.decode()


@pytest.fixture
def no_numbers(world: World) -> Person:
    """A person on file without a citizen ID, an old ID or a phone (all three empty)."""
    return make_person(
        full_name="Phạm Văn Không Số",
        citizen_id="",
        phone="",
        old_id_number="",
        residence_commune=world.units["c1"],
        registered_by=world.orgs["clinic_a"],
    )


@pytest.mark.parametrize("kind", ["citizen_id", "old_id_number", "phone"])
@pytest.mark.parametrize("query", ["không rõ", "%", "Trần Thị Bình", "---"])
def test_a_number_search_without_digits_is_a_form_error_and_matches_nobody(
    world: World, binh: Person, no_numbers: Person, kind: str, query: str
) -> None:
    """ASVS 2.2.1 (input validated), 8.2.2: a number with no digits normalises to nothing;
    it must never become "IS NULL" and list everyone who lacks the number."""
    from audit.models import Event
    from cases.events import CaseAction

    client = world.client("lan")
    response = client.post(reverse("cases:person_search"), {"kind": kind, "q": query})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["q"] == ["Số cần tìm không có chữ số nào: hãy nhập đủ các chữ số."]
    assert form["q"].value() == query  # the input is kept
    html = response.content.decode()
    assert reverse("cases:person_detail", args=[no_numbers.pk]) not in html
    assert not Event.objects.filter(action=CaseAction.SEARCH).exists()  # nobody was "seen"
    # The selector refuses it too, for any caller.
    found = selectors.person_search(viewer=world.users["lan"], kind=kind, query=query)  # type: ignore[arg-type]
    assert found == []
    assert Event.objects.get(action=CaseAction.SEARCH).detail["people"] == []


def test_a_name_of_spaces_only_matches_nobody(world: World, no_numbers: Person) -> None:
    assert selectors.person_search(viewer=world.users["lan"], kind="name", query="   ") == []
    assert selectors.citizen_id_holder(number="không rõ") is None
