"""Supervisors see returned trafficking victims masked in lists and search results.

The name shows only on the person page, and that read is an access event.
"""

from __future__ import annotations

from django.urls import reverse

from audit.models import Event
from cases.choices import ClientCategory
from cases.events import CaseAction
from cases.models import Person
from tests.conftest import World
from tests.factories import make_case, make_person

VICTIM = "Vàng Thị Sinh"


def _victim(world: World) -> Person:
    person = make_person(
        full_name=VICTIM,
        sex="F",
        birth_year=2001,
        citizen_id="010301004321",
        residence_commune=world.units["c1"],
        registered_by=world.orgs["commune_x"],
    )
    make_case(
        person=person,
        organisation=world.orgs["commune_x"],
        category=ClientCategory.TRAFFICKING_VICTIM,
    )
    return person


def test_supervisor_sees_victims_masked_in_lists(world: World, lan_person: Person) -> None:
    victim = _victim(world)
    client = world.client("hoa")
    listing = client.get(reverse("cases:case_list")).content.decode()
    assert VICTIM not in listing
    assert victim.short_id in listing
    assert "Trần Thị Bình" in listing  # people in other categories are not masked
    found = client.post(
        reverse("cases:person_search"), {"kind": "citizen_id", "q": "010301004321"}
    ).content.decode()
    assert (
        VICTIM not in found and "010301004321" not in found.split("<form")[-1].split("</form>")[-1]
    )
    assert victim.short_id in found


def test_supervisor_sees_the_name_on_the_page_and_the_read_is_logged(world: World) -> None:
    victim = _victim(world)
    page = world.client("hoa").get(reverse("cases:person_detail", args=[victim.pk]))
    assert VICTIM in page.content.decode()
    event = Event.objects.get(action=CaseAction.PERSON_READ, actor=world.users["hoa"])
    assert event.person_id == victim.pk


def test_commune_officer_sees_their_own_victims_by_name(world: World) -> None:
    _victim(world)
    listing = world.client("minh").get(reverse("cases:case_list")).content.decode()
    assert VICTIM in listing


def test_search_event_records_the_kind_never_the_value(world: World) -> None:
    victim = _victim(world)
    world.client("hoa").post(
        reverse("cases:person_search"), {"kind": "citizen_id", "q": "010301004321"}
    )
    event = Event.objects.get(action=CaseAction.SEARCH)
    assert event.detail == {"kind": "citizen_id", "found": 1, "people": [str(victim.pk)]}
    row = " ".join(str(v) for v in Event.objects.filter(pk=event.pk).values().get().values())
    assert "010301004321" not in row
