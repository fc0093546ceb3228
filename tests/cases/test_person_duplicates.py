"""A possible duplicate is shown before a person is registered again, and "search, then
register with what I typed" carries the search into the registration form.

Regression for issue 23 item 6: the same name, sex, birth year and commune, with no citizen
ID, was saved as a second person without a word.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.urls import reverse

from audit.models import Event
from cases.events import CaseAction
from cases.models import Person
from tests.conftest import World

pytestmark = pytest.mark.django_db

URL = "cases:person_create"


def _data(world: World, **extra: Any) -> dict[str, str]:
    """Lan's person again (Trần Thị Bình, F, 1991, commune c1), without a citizen ID."""
    values = {
        "full_name": "Trần Thị Bình",
        "citizen_id": "",
        "old_id_number": "",
        "sex": "F",
        "birth_year": "1991",
        "birth_date": "",
        "ethnicity": "",
        "phone": "",
        "residence_commune": str(world.units["c1"].pk),
        "address": "",
        "family_contact": "",
        "aliases": "",
    }
    values.update(extra)
    return values


def _warning(content: str) -> str:
    assert 'data-testid="possible-duplicates"' in content
    return content.split('data-testid="possible-duplicates"', 1)[1].split("</section>", 1)[0]


@pytest.mark.parametrize("typed", ["Trần Thị Bình", "tran thi  binh", "TRẦN THỊ BÌNH"])
def test_a_namesake_born_the_same_year_is_shown_before_saving(
    world: World, lan_person: Person, typed: str
) -> None:
    response = world.client("lan").post(reverse(URL), _data(world, full_name=typed))
    assert response.status_code == 200
    assert Person.objects.count() == 1  # nothing saved
    warning = _warning(response.content.decode())
    assert reverse("cases:person_detail", args=[lan_person.pk]) in warning
    assert response.context["form"]["full_name"].value() == typed  # the input is kept
    # Whom the warning showed is recorded, like a search's results.
    shown = Event.objects.filter(action=CaseAction.SEARCH, actor=world.users["lan"]).latest("seq")
    assert shown.detail["kind"] == "registration" and shown.detail["people"] == [str(lan_person.pk)]


def test_confirming_a_different_person_saves_and_the_event_says_so(
    world: World, lan_person: Person
) -> None:
    client = world.client("lan")
    data = _data(world, different="1", shown=str(lan_person.pk))
    response = client.post(reverse(URL), data)
    assert response.status_code == 302
    new = Person.objects.exclude(pk=lan_person.pk).get()
    event = Event.objects.get(action=CaseAction.PERSON_CREATED, object_id=str(new.pk))
    assert event.detail["different_from"] == [str(lan_person.pk)]


def test_a_confirmation_for_other_people_does_not_skip_a_match(
    world: World, lan_person: Person
) -> None:
    data = _data(world, different="1", shown=str(uuid.uuid4()))
    response = world.client("lan").post(reverse(URL), data)
    assert response.status_code == 200 and Person.objects.count() == 1
    _warning(response.content.decode())


@pytest.mark.parametrize(
    "change",
    [{"sex": "M"}, {"birth_year": "1992"}, {"citizen_id": "010191999999"}],
    ids=["other sex", "other year", "another citizen ID"],
)
def test_someone_who_differs_is_not_a_likely_match(
    world: World, lan_person: Person, change: dict[str, str]
) -> None:
    response = world.client("lan").post(reverse(URL), _data(world, **change))
    assert response.status_code == 302
    assert Person.objects.count() == 2


def test_namesakes_in_the_commune_typed_come_first(world: World, lan_person: Person) -> None:
    from tests.factories import make_person

    elsewhere = make_person(
        full_name="Trần Thị Bình",
        sex="F",
        birth_year=1991,
        citizen_id="",
        residence_commune=world.units["c2"],
        registered_by=world.orgs["clinic_a"],
    )
    # Whichever comes first in id order, the one living in the commune typed is shown first.
    for commune, first in (("c2", elsewhere), ("c1", lan_person)):
        response = world.client("lan").post(
            reverse(URL), _data(world, residence_commune=str(world.units[commune].pk))
        )
        assert response.context["matches"][0] == first
        assert set(response.context["matches"]) == {lan_person, elsewhere}


def test_a_match_the_user_may_not_see_is_never_shown(world: World, lan_person: Person) -> None:
    """ASVS 8.2.2: registering a name does not reveal a person outside the user's scope
    (tuan, clinic B, may not see clinic A's person); the registration itself is recorded."""
    response = world.client("tuan").post(reverse(URL), _data(world))
    assert response.status_code == 302
    assert str(lan_person.pk) not in response.content.decode()
    new = Person.objects.exclude(pk=lan_person.pk).get()
    event = Event.objects.get(action=CaseAction.PERSON_CREATED, object_id=str(new.pk))
    assert "different_from" not in (event.detail or {})
    assert not Event.objects.filter(
        actor=world.users["tuan"], action=CaseAction.SEARCH, detail__kind="registration"
    ).exists()


def test_search_then_register_with_what_was_typed(world: World, lan_person: Person) -> None:
    client = world.client("lan")
    searched = client.post(
        reverse("cases:person_search"), {"kind": "name", "q": "Lê Văn Tám", "birth_year": "1985"}
    )
    page = searched.content.decode()
    register = page.split('data-testid="register-typed"', 1)[1].split("</form>", 1)[0]
    assert f'action="{reverse(URL)}"' in page
    assert 'name="full_name" value="Lê Văn Tám"' in register
    assert 'name="birth_year" value="1985"' in register
    # The registration form opens filled in with what was typed, nothing saved, no errors.
    form = client.post(
        reverse(URL), {"prefill": "1", "full_name": "Lê Văn Tám", "birth_year": "1985"}
    ).context["form"]
    assert not form.is_bound
    assert (form["full_name"].value(), form["birth_year"].value()) == ("Lê Văn Tám", "1985")
    assert Person.objects.count() == 1


def test_a_searched_citizen_id_prefills_the_citizen_id(world: World, lan_person: Person) -> None:
    client = world.client("lan")
    searched = client.post(
        reverse("cases:person_search"), {"kind": "citizen_id", "q": "010190777888"}
    )
    register = searched.content.decode().split('data-testid="register-typed"', 1)[1]
    assert 'name="citizen_id" value="010190777888"' in register.split("</form>", 1)[0]
