"""The visibility entry point: who sees which people and cases, and what a denial leaves."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from cases import access
from cases.models import Person
from tests.conftest import World
from tests.factories import make_case, make_person


@pytest.fixture
def people(world: World, lan_person: Person, tuan_person: Person) -> dict[str, Person]:
    # Lives in 98102 (district 981), registered by the commune officer's committee elsewhere.
    other = make_person(
        full_name="Bùi Văn Một",
        citizen_id="",
        residence_commune=world.units["c2"],
        registered_by=world.orgs["commune_x"],
    )
    # Lives in the 2-tier commune 98001, held by clinic B.
    two_tier = make_person(
        full_name="Lò Thị Hai",
        citizen_id="",
        sex="F",
        residence_commune=world.units["c4"],
        registered_by=world.orgs["clinic_b"],
    )
    make_case(person=two_tier, organisation=world.orgs["clinic_b"])
    return {"lan": lan_person, "tuan": tuan_person, "other": other, "two_tier": two_tier}


EXPECTED_VIEW = {
    "lan": {"lan"},  # clinic A's cases
    "tuan": {"tuan", "two_tier"},  # clinic B's cases
    "minh": {"lan", "other"},  # residents of commune 98101 + people his committee registered
    "hoa": {"lan", "tuan", "other", "two_tier"},  # the whole province
    "an": set(),  # auditor: never case content
    "quan": set(),  # administrator: never case content
}


@pytest.mark.parametrize("actor", sorted(EXPECTED_VIEW))
def test_visible_people_per_role(world: World, people: dict[str, Person], actor: str) -> None:
    visible = set(access.visible_people(world.users[actor]).values_list("pk", flat=True))
    assert visible == {people[key].pk for key in EXPECTED_VIEW[actor]}


@pytest.mark.parametrize("actor", sorted(EXPECTED_VIEW))
def test_visible_cases_follow_people(world: World, people: dict[str, Person], actor: str) -> None:
    cases = access.visible_cases(world.users[actor])
    assert {c.person_id for c in cases} <= {people[k].pk for k in EXPECTED_VIEW[actor]}


def test_supervisor_reads_but_does_not_change(world: World, people: dict[str, Person]) -> None:
    hoa = world.users["hoa"]
    assert access.visible_people(hoa, "change").count() == 0
    assert access.visible_cases(hoa, "change").count() == 0
    assert not access.can(hoa, "person.add")


def test_inactive_or_profileless_user_sees_nothing(world: World, people: dict[str, Person]) -> None:
    lan = world.users["lan"]
    lan.is_active = False
    lan.save()
    assert access.visible_people(lan).count() == 0
    lan.is_active = True
    lan.save()
    lan.staff.delete()
    lan.refresh_from_db()
    assert access.visible_people(lan).count() == 0


def test_assigned_case_elsewhere_is_visible_to_the_assignee(
    world: World, tuan_person: Person
) -> None:
    case = tuan_person.cases.get()
    case.assigned_to = world.users["lan"]
    case.save()
    assert access.visible_cases(world.users["lan"]).filter(pk=case.pk).exists()
    assert access.visible_people(world.users["lan"]).filter(pk=tuan_person.pk).exists()


@pytest.mark.parametrize(
    "url_name", ["cases:person_detail", "cases:person_edit", "cases:case_create"]
)
def test_outsider_gets_404_and_denial_is_logged(
    world: World, lan_person: Person, url_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    """ASVS 8.2.2: another organisation's record by URL is refused without revealing it."""
    caplog.set_level(logging.WARNING, logger="hoa_nhap.access")
    response = world.client("tuan").get(reverse(url_name, args=[lan_person.pk]))
    assert response.status_code == 404
    assert "Trần Thị Bình" not in response.content.decode()
    denials = [r.getMessage() for r in caplog.records if r.name == "hoa_nhap.access"]
    assert len(denials) == 1
    assert f"person={lan_person.pk}" in denials[0]
    assert f"user={world.users['tuan'].pk}" in denials[0]
    assert "Bình" not in denials[0] and "010191000123" not in denials[0]


@pytest.mark.parametrize("url_name", ["cases:case_detail", "cases:case_edit"])
def test_outsider_cannot_open_case_by_url(
    world: World, lan_person: Person, url_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="hoa_nhap.access")
    case = lan_person.cases.get()
    assert world.client("tuan").get(reverse(url_name, args=[case.pk])).status_code == 404
    assert any(f"case={case.pk}" in r.getMessage() for r in caplog.records)


def test_unknown_id_looks_the_same_as_forbidden(world: World, lan_person: Person) -> None:
    client = world.client("tuan")
    forbidden = client.get(reverse("cases:person_detail", args=[lan_person.pk]))
    unknown = client.get(
        reverse("cases:person_detail", args=["00000000-0000-4000-8000-000000000000"])
    )
    assert forbidden.status_code == unknown.status_code == 404


def test_supervisor_edit_page_is_refused(world: World, lan_person: Person) -> None:
    client = world.client("hoa")
    assert client.get(reverse("cases:person_detail", args=[lan_person.pk])).status_code == 200
    assert client.get(reverse("cases:person_edit", args=[lan_person.pk])).status_code == 404


@pytest.mark.parametrize("actor", ["an", "quan"])
def test_auditor_and_administrator_see_no_case_content(
    world: World, lan_person: Person, actor: str
) -> None:
    client = world.client(actor)
    assert client.get(reverse("cases:person_detail", args=[lan_person.pk])).status_code == 404
    # Not even an empty list: the case pages are closed to these roles.
    listing = client.get(reverse("cases:case_list"))
    assert listing.status_code == 403
    assert "Trần Thị Bình" not in listing.content.decode()
    assert client.get(reverse("cases:person_create")).status_code == 403


def test_anonymous_user_is_sent_to_login(world: World, lan_person: Person) -> None:
    from django.test import Client

    response = Client().get(reverse("cases:person_detail", args=[lan_person.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
