"""Family and household links (issue 28 item 4, decision D42).

A link is shown on both people's pages, the reverse relation on the other's page, only to
viewers who see both ends; a family member registered without a case is seen only by those
whom a role's rule lets see a linked client: never because of who registered them or where
they live. Each access rule here has a test that fails when the rule is removed
(``cases.access.rules._person_rule``'s ``family_only`` arms and ``_family_clause``).

ASVS 5.0 8.2.2 (data-level access), 8.3.1 (enforced on the server), 16.3.2 (refusals logged).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from audit.models import Event
from cases import access, family
from cases.choices import UnitLevel
from cases.events import CaseAction
from cases.models import (
    AdministrativeUnit,
    Case,
    FamilyLink,
    Organisation,
    OrganisationType,
    Person,
    Relation,
)
from tests.conftest import World
from tests.factories import make_case, make_person

MOTHER = "Phạm Thị Hạnh"


def _new_member(**changes: Any) -> dict[str, Any]:
    data = {
        "relation": "parent",
        "contact": "on",
        "citizen_id": "",
        "full_name": MOTHER,
        "sex": "F",
        "birth_year": "1962",
        "phone": "0977111222",
    }
    return data | changes


def _family_only(
    world: World, *, client: Person, lives_in: str, registered_by: str, reverse: bool = False
) -> Person:
    """A family member without a case, linked to ``client`` as their parent (``reverse``:
    the link written from the family member's page, the client as her child)."""
    relative = make_person(
        full_name=MOTHER,
        residence_commune=world.units[lives_in],
        registered_by=world.orgs[registered_by],
        family_only=True,
    )
    person, other = (relative, client) if reverse else (client, relative)
    FamilyLink.objects.create(
        person=person,
        relative=other,
        relation=Relation.CHILD if reverse else Relation.PARENT,
        contact=not reverse,
        added_by=world.users["lan"],
    )
    return relative


def _seers(world: World, person: Person) -> set[str]:
    return {
        name
        for name, user in world.users.items()
        if access.visible_people(user).filter(pk=person.pk).exists()
    }


def test_a_family_member_registered_from_the_person_page_shows_on_both_pages(
    world: World, lan_person: Person
) -> None:
    client = world.client("lan")
    url = reverse("cases:family_add", args=[lan_person.pk])
    assert client.post(url, _new_member()).status_code == 302
    link = FamilyLink.objects.get()
    mother = link.relative
    assert link.person == lan_person and mother.family_only and mother.full_name == MOTHER
    assert not Case.objects.filter(person=mother).exists()
    assert Event.objects.filter(action=CaseAction.FAMILY_LINKED, actor=world.users["lan"]).exists()
    assert Event.objects.filter(action=CaseAction.PERSON_CREATED, actor=world.users["lan"]).exists()

    page = client.get(reverse("cases:person_detail", args=[lan_person.pk])).content.decode()
    assert MOTHER in page
    assert reverse("cases:person_detail", args=[mother.pk]) in page
    rows = family.family_of(viewer=world.users["lan"], person=lan_person)
    assert [(r.other, r.relation, r.is_contact, r.contact_for) for r in rows] == [
        (mother, str(Relation.PARENT.label), True, False)
    ]
    # The reverse, on the mother's page: the client is her child, and she is the contact.
    back = family.family_of(viewer=world.users["lan"], person=mother)
    assert [(r.other, r.relation, r.is_contact, r.contact_for) for r in back] == [
        (lan_person, str(Relation.CHILD.label), False, True)
    ]
    mother_page = client.get(reverse("cases:person_detail", args=[mother.pk]))
    assert mother_page.status_code == 200
    assert "Trần Thị Bình" in mother_page.content.decode()
    # A rule reaches her (through her child): her whole record, history included.
    assert access.person_parts_visible(world.users["lan"], mother) is access.ALL
    history = client.get(reverse("cases:person_history", args=[mother.pk]))
    assert history.status_code == 200


@pytest.mark.parametrize("reverse", [False, True], ids=["from-client", "from-member"])
def test_a_caseless_family_member_is_seen_exactly_by_those_who_see_the_client(
    world: World, lan_person: Person, reverse: bool
) -> None:
    """Registered by clinic B and living in district 982 (tuan's), linked to clinic A's
    client: the person-row rules (registered here, residents) must not show her to tuan."""
    mother = _family_only(
        world, client=lan_person, lives_in="c3", registered_by="clinic_b", reverse=reverse
    )
    assert _seers(world, mother) == _seers(world, lan_person) == {"lan", "mai", "minh", "hoa"}
    # Whoever sees her sees her name (the identity rule reaches her the same way).
    assert access.identity_shown(world.users["minh"], mother)


def test_registering_or_residence_alone_does_not_show_a_family_member(
    world: World, tuan_person: Person, lan_person: Person
) -> None:
    """Registered by clinic A and living in commune 98101 (lan's, minh's), linked to clinic
    B's client: only tuan and the province's supervisor see her, though clinic A holds a
    case of its own (lan's client: holding some case is not holding hers)."""
    mother = _family_only(world, client=tuan_person, lives_in="c1", registered_by="clinic_a")
    assert _seers(world, mother) == {"tuan", "hoa"}


def test_a_supervisor_does_not_see_a_resident_whose_linked_client_is_elsewhere(
    world: World,
) -> None:
    far = AdministrativeUnit.objects.create(code="97", name="Tỉnh Xa", level=UnitLevel.PROVINCE)
    commune = AdministrativeUnit.objects.create(
        code="97101", name="Xã Xa", level=UnitLevel.COMMUNE, parent=far
    )
    clinic = Organisation.objects.create(
        name="Methadone Xa",
        type=OrganisationType.objects.get(code="methadone-clinic"),
        unit=commune,
    )
    client = make_person(residence_commune=commune, registered_by=clinic)
    make_case(person=client, organisation=clinic)
    mother = make_person(
        residence_commune=world.units["c1"], registered_by=clinic, family_only=True
    )
    FamilyLink.objects.create(
        person=client, relative=mother, relation=Relation.PARENT, added_by=world.users["lan"]
    )
    assert _seers(world, mother) == set()


def test_an_outsider_opening_a_family_member_by_url_gets_404_and_is_logged(
    world: World, lan_person: Person
) -> None:
    """ASVS 5.0 8.2.2, 16.3.2: the family member's page, and linking to the client, refused."""
    mother = _family_only(world, client=lan_person, lives_in="c3", registered_by="clinic_b")
    client = world.client("tuan")
    before = Event.objects.filter(action=CaseAction.DENIED, actor=world.users["tuan"]).count()
    assert client.get(reverse("cases:person_detail", args=[mother.pk])).status_code == 404
    url = reverse("cases:family_add", args=[lan_person.pk])
    assert client.post(url, _new_member(full_name="Kẻ lạ")).status_code == 404
    after = Event.objects.filter(action=CaseAction.DENIED, actor=world.users["tuan"]).count()
    assert after == before + 2
    assert FamilyLink.objects.count() == 1
    assert not Person.objects.filter(family_only=True).exclude(pk=mother.pk).exists()


def test_a_link_to_someone_the_viewer_cannot_see_is_left_out_entirely(
    world: World, lan_person: Person, tuan_person: Person
) -> None:
    """Both ends are clients; lan sees only hers: no name, no row, no hint of the link."""
    FamilyLink.objects.create(
        person=lan_person,
        relative=tuan_person,
        relation=Relation.SPOUSE,
        added_by=world.users["hoa"],
    )
    assert family.family_of(viewer=world.users["lan"], person=lan_person) == []
    page = world.client("lan").get(reverse("cases:person_detail", args=[lan_person.pk]))
    html = page.content.decode()
    assert "Lê Văn Cường" not in html and str(tuan_person.pk) not in html
    assert tuan_person.short_id not in html
    # The supervisor sees both ends: the link on both pages.
    hoa = world.users["hoa"]
    assert [r.other for r in family.family_of(viewer=hoa, person=lan_person)] == [tuan_person]
    assert [r.other for r in family.family_of(viewer=hoa, person=tuan_person)] == [lan_person]
    hoa_page = world.client("hoa").get(reverse("cases:person_detail", args=[tuan_person.pk]))
    assert "Trần Thị Bình" in hoa_page.content.decode()


def test_linking_by_citizen_id_finds_only_people_the_actor_sees(
    world: World, lan_person: Person, tuan_person: Person
) -> None:
    url = reverse("cases:family_add", args=[lan_person.pk])
    response = world.client("lan").post(url, _new_member(citizen_id=tuan_person.citizen_id))
    assert response.status_code == 200
    assert "Nobody you may see" in response.content.decode() or "Không có ai" in (
        response.content.decode()
    )
    assert not FamilyLink.objects.exists()
    sister = make_person(
        full_name="Trần Thị Lan",
        citizen_id="010195000999",
        residence_commune=world.units["c1"],
        registered_by=world.orgs["clinic_a"],
    )
    response = world.client("lan").post(
        url, _new_member(citizen_id=sister.citizen_id, relation="household", contact="")
    )
    assert response.status_code == 302
    link = FamilyLink.objects.get()
    assert link.relative == sister and link.relation == "household" and not link.contact
    # The same pair again, either way round, is refused.
    again = world.client("lan").post(
        reverse("cases:family_add", args=[sister.pk]),
        _new_member(citizen_id=lan_person.citizen_id),
    )
    assert again.status_code == 200 and FamilyLink.objects.count() == 1


@pytest.mark.parametrize("field", ["full_name", "sex", "birth_year"])
def test_a_new_family_member_needs_name_sex_and_year(
    world: World, lan_person: Person, field: str
) -> None:
    url = reverse("cases:family_add", args=[lan_person.pk])
    response = world.client("lan").post(url, _new_member(**{field: ""}))
    assert response.status_code == 200
    assert not FamilyLink.objects.exists()


def test_a_link_made_by_mistake_is_removed_and_recorded(world: World, lan_person: Person) -> None:
    mother = _family_only(world, client=lan_person, lives_in="c1", registered_by="clinic_a")
    link = FamilyLink.objects.get()
    page = world.client("lan").get(reverse("cases:person_detail", args=[lan_person.pk]))
    url = reverse("cases:family_remove", args=[link.pk])
    assert url in page.content.decode()
    assert world.client("lan").post(url).status_code == 302
    assert not FamilyLink.objects.exists()
    assert FamilyLink.history.filter(id=link.pk, history_type="-").exists()
    assert Event.objects.filter(
        action=CaseAction.FAMILY_UNLINKED, actor=world.users["lan"], object_id=str(link.pk)
    ).exists()
    # Without the link, nobody's rule reaches the family member any more.
    assert _seers(world, mother) == set()


def test_an_outsider_or_a_reader_cannot_remove_a_link(world: World, lan_person: Person) -> None:
    """ASVS 5.0 8.2.2, 8.3.1 (a forged POST), 16.3.2 (logged): tuan is out of scope, hoa
    only reads; both get 404, the link stays, each refusal is a denial naming the link."""
    _family_only(world, client=lan_person, lives_in="c1", registered_by="clinic_a")
    link = FamilyLink.objects.get()
    url = reverse("cases:family_remove", args=[link.pk])
    for who in ("tuan", "hoa"):
        assert world.client(who).post(url).status_code == 404, who
        denials = Event.objects.filter(
            action=CaseAction.DENIED, actor=world.users[who], object_id=str(link.pk)
        )
        assert denials.count() == 1, who
    assert FamilyLink.objects.filter(pk=link.pk).exists()
    page = world.client("hoa").get(reverse("cases:person_detail", args=[lan_person.pk]))
    assert url not in page.content.decode()


def test_a_link_to_someone_the_actor_cannot_see_cannot_be_removed(
    world: World, lan_person: Person, tuan_person: Person
) -> None:
    link = FamilyLink.objects.create(
        person=lan_person, relative=tuan_person, relation="spouse", added_by=world.users["hoa"]
    )
    url = reverse("cases:family_remove", args=[link.pk])
    assert world.client("lan").post(url).status_code == 404
    assert FamilyLink.objects.filter(pk=link.pk).exists()
    assert Event.objects.filter(
        action=CaseAction.DENIED, actor=world.users["lan"], object_id=str(link.pk)
    ).exists()


def test_a_user_with_two_roles_sees_the_family_of_a_client_either_role_reaches(
    world: World,
) -> None:
    """A caseworker who also holds a supervisor's role (scope commune 98102) sees a client
    clinic A registered, living in district 982 without a case, only by the caseworker's
    person rule; the client's family member follows. Fails if ``_family_clause`` keeps only
    one role's person rule."""
    from cases.choices import Role
    from cases.models import StaffProfile
    from cases.roles import staff_profile_save
    from tests.factories import make_user

    ba = make_user("ba")
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=ba,
            organisation=world.orgs["clinic_a"],
            role=Role.CASEWORKER,
            second_role=Role.SUPERVISOR,
            allow_second_role=True,
            scope_unit=world.units["c2"],
        ),
    )
    client = make_person(residence_commune=world.units["c3"], registered_by=world.orgs["clinic_a"])
    mother = _family_only(world, client=client, lives_in="c3", registered_by="clinic_b")
    assert access.visible_people(ba).filter(pk=client.pk).exists()
    assert access.visible_people(ba).filter(pk=mother.pk).exists()


def test_a_caseworker_sees_the_family_of_a_client_whose_case_is_assigned_to_her(
    world: World, tuan_person: Person
) -> None:
    """Clinic B's case of a clinic B client, assigned to lan: lan sees the client only by the
    assignment, and the client's family member with him; her teammate does not. Fails if
    ``_family_clause`` stops asking each role's own case rule."""
    Case.objects.filter(person=tuan_person).update(assigned_to=world.users["lan"])
    mother = _family_only(world, client=tuan_person, lives_in="c3", registered_by="clinic_b")
    assert access.visible_people(world.users["lan"]).filter(pk=tuan_person.pk).exists()
    assert access.visible_people(world.users["lan"]).filter(pk=mother.pk).exists()
    assert not access.visible_people(world.users["mai"]).filter(pk=mother.pk).exists()


def test_a_teammate_sees_the_family_of_a_client_only_the_clinic_s_case_reaches(
    world: World,
) -> None:
    """A client registered by clinic B and living in district 982, whose case clinic A
    holds (assigned to nobody): mai reaches him only through the held case, and his family
    member with him. Fails if ``_family_clause`` keeps only one of a role's case clauses."""
    client = make_person(residence_commune=world.units["c3"], registered_by=world.orgs["clinic_b"])
    make_case(person=client, organisation=world.orgs["clinic_a"])
    mother = _family_only(world, client=client, lives_in="c3", registered_by="clinic_b")
    assert access.visible_people(world.users["mai"]).filter(pk=mother.pk).exists()
