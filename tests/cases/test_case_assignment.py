"""Who may assign a case: the holder's staff, to their own staff (issue 22, item 3)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import User
from audit.models import Event
from cases import actions
from cases.choices import ClientCategory, Role
from cases.events import CaseAction
from cases.models import Case, Person, StaffProfile
from cases.roles import staff_profile_save
from tests.cases.test_edit_conflicts import _open
from tests.conftest import World, signed_in_client
from tests.factories import make_case, make_person, make_user


def _commune_caseworker(world: World) -> User:
    """Return a caseworker of minh's own organisation (the commune committee)."""
    khoa = make_user("khoa")
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=khoa,
            organisation=world.orgs["commune_x"],
            role=Role.CASEWORKER,
            scope_unit=world.units["c1"],
        ),
    )
    return khoa


@pytest.fixture
def victim_case(world: World) -> Case:
    """A returned trafficking victim living in minh's commune, held by clinic A (the shelter)."""
    person = make_person(
        full_name="Hoàng Thị Nạn",
        sex="F",
        birth_year=2001,
        citizen_id="010201000777",
        residence_commune=world.units["c1"],
        registered_by=world.orgs["clinic_a"],
    )
    return make_case(
        person=person,
        organisation=world.orgs["clinic_a"],
        assigned_to=world.users["lan"],
        category=ClientCategory.TRAFFICKING_VICTIM,
    )


def _data(case: Case, **changes: object) -> actions.CaseData:
    values: dict[str, object] = {
        "category": case.category,
        "managed_record": case.managed_record,
        "status": case.status,
        "opened_on": case.opened_on,
        "closed_on": case.closed_on,
        "organisation": case.organisation,
        "assigned_to": case.assigned_to,
        "notes": case.notes,
    }
    values.update(changes)
    return actions.CaseData(**values)  # type: ignore[arg-type]


def test_a_non_holder_cannot_reassign_a_case_to_open_it_to_his_colleague(
    world: World, victim_case: Case
) -> None:
    """ASVS 8.2.2 / 8.3.1: minh may edit the shelter's case (the victim lives in his commune),
    but assigning it to a caseworker of his own organisation would open it to her: refused,
    unchanged, logged, and her pages stay 404."""
    khoa = _commune_caseworker(world)
    khoa_client = signed_in_client(khoa)
    case_url = reverse("cases:case_detail", args=[victim_case.pk])
    person_url = reverse("cases:person_detail", args=[victim_case.person_id])
    assert khoa_client.get(case_url).status_code == 404

    with pytest.raises(ValidationError) as refused:
        actions.case_update(
            actor=world.users["minh"],
            case=victim_case,
            data=_data(victim_case, assigned_to=khoa),
            if_version=victim_case.version,
        )
    assert "assigned_to" in refused.value.message_dict
    denial = Event.objects.filter(
        action=CaseAction.DENIED, object_id=str(victim_case.pk), actor=world.users["minh"]
    ).get()
    assert denial.actor == world.users["minh"]
    assert denial.detail["perm"] == "assign"

    # Through the page: the field offers no one else, and a forged choice changes nothing.
    url = reverse("cases:case_edit", args=[victim_case.pk])
    minh = world.client("minh")
    form = _open(minh, url)
    form["assigned_to"] = str(khoa.pk)
    minh.post(url, form)
    victim_case.refresh_from_db()
    assert victim_case.assigned_to == world.users["lan"]
    assert khoa_client.get(case_url).status_code == 404
    assert khoa_client.get(person_url).status_code == 404


def test_the_holder_assigns_only_to_its_own_staff(world: World, lan_person: Person) -> None:
    """ASVS 8.2.2: lan (clinic A, the holder) may give the case to mai, not to tuan of
    clinic B: that would open it to another organisation without a referral."""
    case = Case.objects.get(person=lan_person)
    with pytest.raises(ValidationError) as refused:
        actions.case_update(
            actor=world.users["lan"],
            case=case,
            data=_data(case, assigned_to=world.users["tuan"]),
            if_version=case.version,
        )
    assert "assigned_to" in refused.value.message_dict
    case.refresh_from_db()
    assert case.assigned_to == world.users["lan"]
    assert Event.objects.filter(
        action=CaseAction.DENIED, object_id=str(case.pk), detail__perm="assign"
    ).exists()

    actions.case_update(
        actor=world.users["lan"],
        case=case,
        data=_data(case, assigned_to=world.users["mai"]),
        if_version=case.version,
    )
    case.refresh_from_db()
    assert case.assigned_to == world.users["mai"]


def test_a_case_opened_for_an_organisation_is_assigned_only_to_its_staff(
    world: World, lan_person: Person
) -> None:
    """ASVS 8.2.2: opening a case assigned to another organisation's caseworker is refused."""
    case = Case.objects.get(person=lan_person)
    data = _data(case, assigned_to=world.users["tuan"], category=ClientCategory.POST_REHAB)
    with pytest.raises(ValidationError) as refused:
        actions.case_open(actor=world.users["lan"], person=lan_person, data=data)
    assert "assigned_to" in refused.value.message_dict
    assert Case.objects.filter(person=lan_person).count() == 1


def test_every_case_change_event_names_the_fields_that_changed(
    world: World, lan_person: Person
) -> None:
    """ASVS 16.2.1: the event says which fields changed (names, never values)."""
    case = Case.objects.get(person=lan_person)
    actions.case_update(
        actor=world.users["lan"],
        case=case,
        data=_data(case, assigned_to=world.users["mai"], notes="Ghi chú mới bí mật"),
        if_version=case.version,
    )
    event = Event.objects.filter(action=CaseAction.CASE_CHANGED).latest("seq")
    assert event.detail["fields"] == ["assigned_to", "notes"]
    assert "bí mật" not in str(event.detail)
    assert str(world.users["mai"].pk) not in str(event.detail)


def test_a_case_handed_to_another_holder_keeps_no_assignee_of_the_old_one(
    world: World, lan_person: Person
) -> None:
    """ASVS 8.2.2: the holder moving its case to clinic B cannot leave it assigned to its own
    caseworker (she would keep seeing it): the assignee must be clinic B's, or nobody."""
    case = Case.objects.get(person=lan_person)
    with pytest.raises(ValidationError) as refused:
        actions.case_update(
            actor=world.users["lan"],
            case=case,
            data=_data(case, organisation=world.orgs["clinic_b"]),
            if_version=case.version,
        )
    assert "assigned_to" in refused.value.message_dict
    actions.case_update(
        actor=world.users["lan"],
        case=case,
        data=_data(case, organisation=world.orgs["clinic_b"], assigned_to=world.users["tuan"]),
        if_version=case.version,
    )
    case.refresh_from_db()
    assert (case.organisation, case.assigned_to) == (world.orgs["clinic_b"], world.users["tuan"])
