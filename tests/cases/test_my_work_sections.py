"""The start page "my work" groups and bounds its lists (issue 23, item 10).

minh, the officer of commune 98101, has many residents, open cases and due check-ins: each
section shows a few rows, how many there are, and a link to the whole paged list.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Person
from cases.selectors import SECTION_ROWS
from services.models import FollowUp
from tests.conftest import World
from tests.factories import make_case, make_person

RESIDENTS = 24
CASES = 12
OVERDUE = 4
DUE_SOON = 9


@pytest.fixture
def busy_minh(world: World, lan_person: Person) -> list[Person]:
    return seed_busy_minh(world)


def seed_busy_minh(world: World) -> list[Person]:
    """Residents of commune 98101; some with open post-rehab cases minh is assigned, whose
    check-ins are minh's: a few overdue, the rest due this week."""
    today = timezone.localdate()
    people = []
    for n in range(RESIDENTS):
        people.append(
            make_person(
                full_name=f"Cư Dân Số {n}",
                residence_commune=world.units["c1"],
                registered_by=world.orgs["clinic_a"],
            )
        )
    cases = [
        make_case(
            person=person,
            organisation=world.orgs["clinic_a"],
            category="post_rehab",
            assigned_to=world.users["minh"],
            opened_on=datetime.date(2025, 6, 1) + datetime.timedelta(days=n),
        )
        for n, person in enumerate(people[:CASES])
    ]
    for n in range(OVERDUE + DUE_SOON):
        FollowUp.objects.create(
            case=cases[n % CASES],
            kind="post_rehab_checkin",
            due_on=today + datetime.timedelta(days=(n - OVERDUE) if n < OVERDUE else n % 7),
            responsible=world.users["minh"],
            recorded_by=world.users["lan"],
        )
    return people


def test_each_section_of_my_work_is_bounded_counted_and_links_to_its_whole_list(
    world: World, busy_minh: list[Person]
) -> None:
    minh = world.client("minh")
    response = minh.get(reverse("cases:my_work"))
    assert response.status_code == 200
    work = response.context["work"]
    page = response.content.decode()
    today = timezone.localdate()

    # Due and overdue: a few rows, overdue first, and how many there are.
    assert len(work.due) == SECTION_ROWS
    assert [item.due_on < today for item in work.due[:OVERDUE]] == [True] * OVERDUE
    assert work.due_total.value == OVERDUE + DUE_SOON and not work.due_total.at_least
    assert work.overdue_count == OVERDUE
    due_all = minh.get(reverse("cases:my_work"), {"section": "due"})
    assert len(due_all.context["work"].due_page.object_list) == OVERDUE + DUE_SOON
    assert f"{reverse('cases:my_work')}?section=due" in page

    # Open cases: a few rows, the count the case list gives, and a link to that list.
    assert len(work.open_cases) == SECTION_ROWS
    assert work.open_cases_total.value == CASES
    listed = minh.get(reverse("cases:case_list"), {"mine": "on", "status": "open"})
    assert listed.status_code == 200 and listed.context["total"].value == CASES
    assert f"{reverse('cases:case_list')}?mine=on&amp;status=open" in page

    # Residents: a few rows, the count, and the whole list paged on its own page.
    residents = RESIDENTS + 1  # with lan_person
    assert len(work.resident_page.object_list) == SECTION_ROWS
    assert work.residents_total.value == residents
    assert f"{reverse('cases:my_work')}?section=residents" in page
    whole = minh.get(reverse("cases:my_work"), {"section": "residents"})
    assert whole.status_code == 200
    assert len(whole.context["work"].resident_page.object_list) == residents
    assert "Cư Dân Số 23" in whole.content.decode()

    # Recently changed: a few rows and a paged list of all.
    assert len(work.recent_people) == SECTION_ROWS
    assert work.recent_total.value >= residents
    recent = minh.get(reverse("cases:my_work"), {"section": "recent", "page": "1"})
    assert recent.status_code == 200
    assert len(recent.context["work"].recent_page.object_list) == work.recent_total.value


def test_an_unknown_section_shows_the_whole_start_page(
    world: World, busy_minh: list[Person]
) -> None:
    response = world.client("minh").get(reverse("cases:my_work"), {"section": "nope"})
    assert response.status_code == 200
    assert response.context["work"].section == ""
    assert len(response.context["work"].open_cases) == SECTION_ROWS
