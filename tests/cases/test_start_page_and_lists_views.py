"""Start pages ("my work"), the case list's filters, sort, count and pages, empty searches."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from audit.models import Event
from cases.events import CaseAction
from cases.models import Person
from tests.conftest import World
from tests.factories import make_case, make_person


@pytest.mark.parametrize(
    ("who", "start"),
    [
        ("lan", "methadone:today"),  # a methadone clinic's staff: the list of the day
        ("minh", "cases:my_work"),
        ("hoa", "cases:person_search"),
        ("an", "audit:event_list"),
    ],
)
def test_each_role_lands_on_its_start_page(world: World, who: str, start: str) -> None:
    response = world.client(who).get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse(start)
    assert world.client(who).get(response["Location"]).status_code == 200


def test_my_work_lists_my_open_cases_and_recent_people(
    world: World, lan_person: Person, tuan_person: Person
) -> None:
    response = world.client("lan").get(reverse("cases:my_work"))
    assert response.status_code == 200
    work = response.context["work"]
    assert [c.person for c in work.open_cases] == [lan_person]
    assert lan_person in work.recent_people and tuan_person not in work.recent_people
    assert work.resident_page is None  # a caseworker has no commune list
    event = Event.objects.get(action=CaseAction.PEOPLE_LIST, actor=world.users["lan"])
    assert event.detail["people"] == [str(lan_person.pk)]


def test_commune_officer_sees_the_people_living_in_the_commune(
    world: World, lan_person: Person, tuan_person: Person
) -> None:
    neighbour = make_person(
        full_name="Vàng A Páo",
        residence_commune=world.units["c1"],
        registered_by=world.orgs["clinic_b"],
    )
    response = world.client("minh").get(reverse("cases:my_work"))
    work = response.context["work"]
    residents = list(work.resident_page.object_list)
    assert set(residents) == {lan_person, neighbour}
    assert work.residents_total.value == 2
    page = response.content.decode()
    assert "Vàng A Páo" in page and "Lê Văn Cường" not in page
    event = Event.objects.get(action=CaseAction.PEOPLE_LIST, actor=world.users["minh"])
    assert str(neighbour.pk) in event.detail["people"]


def test_my_work_is_refused_to_other_roles(world: World) -> None:
    for who in ("hoa", "an", "quan"):
        assert world.client(who).get(reverse("cases:my_work")).status_code == 403


@pytest.fixture
def many_cases(world: World, lan_person: Person) -> list[Person]:
    people = [lan_person]
    for n in range(60):
        person = make_person(
            full_name=f"Người Số {n}",
            residence_commune=world.units["c2" if n % 2 else "c1"],
            registered_by=world.orgs["clinic_a"],
        )
        make_case(
            person=person,
            organisation=world.orgs["clinic_a"],
            category="post_rehab" if n % 3 == 0 else "addiction",
            status="closed" if n % 5 == 0 else "open",
            closed_on=datetime.date(2026, 2, 1) if n % 5 == 0 else None,
            opened_on=datetime.date(2025, 1, 1) + datetime.timedelta(days=n),
        )
        people.append(person)
    return people


def test_case_list_counts_and_pages_by_fifty(world: World, many_cases: list[Person]) -> None:
    client = world.client("lan")
    first = client.get(reverse("cases:case_list"))
    assert first.context["total"].value == 61
    assert len(first.context["page"].object_list) == 50
    with translation.override("vi"):
        assert gettext("Next") in first.content.decode()
    second = client.get(reverse("cases:case_list"), {"page": "2"})
    assert len(second.context["page"].object_list) == 11


def test_case_list_filters(world: World, many_cases: list[Person]) -> None:
    client = world.client("lan")

    def total(**query: str) -> int:
        response = client.get(reverse("cases:case_list"), query)
        assert response.context["form"].errors == {}
        return int(response.context["total"].value)

    assert total(status="closed") == 12
    assert total(category="post_rehab") == 20
    assert total(commune=str(world.units["c2"].pk)) == 30
    assert total(mine="on") == 1  # only lan_person's case is assigned to lan
    assert total(status="open", category="post_rehab") == 16


def test_case_list_sorts(world: World, many_cases: list[Person]) -> None:
    client = world.client("lan")
    oldest = client.get(reverse("cases:case_list"), {"sort": "oldest"}).context["page"]
    dates = [c.opened_on for c in oldest.object_list]
    assert dates == sorted(dates)
    newest = client.get(reverse("cases:case_list")).context["page"]
    assert [c.opened_on for c in newest.object_list] == sorted(
        [c.opened_on for c in newest.object_list], reverse=True
    )


def test_an_invalid_case_filter_shows_the_error_and_no_rows(
    world: World, lan_person: Person
) -> None:
    response = world.client("lan").get(reverse("cases:case_list"), {"status": "bogus"})
    assert response.status_code == 200
    assert "status" in response.context["form"].errors
    assert response.context["page"] is None
    assert "Trần Thị Bình" not in response.content.decode()


def test_the_pager_keeps_the_filters(world: World, many_cases: list[Person]) -> None:
    page = world.client("lan").get(reverse("cases:case_list"), {"sort": "oldest"})
    assert "sort=oldest&amp;page=2" in page.content.decode()


def test_an_empty_search_says_what_to_try_next(world: World, lan_person: Person) -> None:
    response = world.client("tuan").post(
        reverse("cases:person_search"), {"kind": "name", "q": "Không Ai Cả"}
    )
    page = response.content.decode()
    assert 'data-testid="search-empty"' in page
    assert f'href="{reverse("cases:emergency_request")}"' in page
    assert f'href="{reverse("cases:person_create")}"' in page.split("search-empty")[1]


def test_logout_says_you_are_logged_out(world: World) -> None:
    client = world.client("lan")
    response = client.post(reverse("logout"), follow=True)
    assert response.status_code == 200
    assert 'data-testid="logged-out"' in response.content.decode()


def test_success_and_warning_messages_look_different(world: World, lan_person: Person) -> None:
    """A success is green, a warning amber: the classes differ and the stylesheet has both."""
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static" / "css" / "app.css").read_text()
    assert ".messages .message.success" in css and ".messages .message.warning" in css
    client = world.client("tuan")
    response = client.post(
        reverse("cases:emergency_request"),
        {"citizen_id": lan_person.citizen_id, "reason": "Cấp cứu, cần xem liều methadone"},
        follow=True,
    )
    assert 'class="message warning"' in response.content.decode()
