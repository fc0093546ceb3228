"""Each clause of the visibility rules in cases/access/ (rules, reach, parts) has a test
that fails without it.

One place per clause: the role rules over cases (``_case_rule``) and over the person row
(``_person_rule``), one-by-one grants (``_reach``: user, permission, object, expiry), the
generic ``visible``/``get_for_user``/``person_id_of`` for records that hang off a person or
a case (the example app's models), and the figures, which count by unit only. A mutation
run (``make mutation``) checks that deleting or bending any clause turns one of these red.

ASVS 8.2.2 (data-level access), 8.3.1 (enforced at one server-side point).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from accounts.capabilities import can
from audit.models import Event
from cases import access, actions
from cases.choices import Role, UnitLevel
from cases.events import CaseAction
from cases.models import (
    AdministrativeUnit,
    Case,
    Organisation,
    OrganisationType,
    Person,
    StaffProfile,
)
from cases.roles import grant_give, grant_revoke, staff_profile_save
from tests.conftest import World
from tests.exampleapp.models import CaseNote, NoteComment, PersonNote, PersonNoteReply
from tests.factories import make_case, make_person


def _ids(rows: Any) -> set[Any]:
    return set(rows.values_list("pk", flat=True))


@pytest.fixture
def elsewhere(world: World) -> dict[str, Any]:
    """Province 97, with a clinic: the places outside every test actor's scope."""
    province = AdministrativeUnit.objects.create(
        code="97", name="Tỉnh Khác", level=UnitLevel.PROVINCE
    )
    commune = AdministrativeUnit.objects.create(
        code="97101", name="Xã Khác", level=UnitLevel.COMMUNE, parent=province
    )
    clinic = Organisation.objects.create(
        name="Methadone Khác",
        type=OrganisationType.objects.get(code="methadone-clinic"),
        unit=commune,
    )
    return {"commune": commune, "clinic": clinic}


def _person(world: World, commune: Any, registered_by: Any) -> Person:
    return make_person(residence_commune=commune, registered_by=registered_by)


# --- _case_rule and _person_rule, clause by clause -----------------------------------------


def test_caseworker_reaches_her_clinics_cases_and_those_assigned_to_her(
    world: World, elsewhere: dict[str, Any]
) -> None:
    ours = make_case(
        person=_person(world, world.units["c3"], world.orgs["clinic_b"]),
        organisation=world.orgs["clinic_a"],
    )
    assigned = make_case(
        person=_person(world, world.units["c3"], world.orgs["clinic_b"]),
        organisation=world.orgs["clinic_b"],
        assigned_to=world.users["lan"],
    )
    theirs = make_case(
        person=_person(world, world.units["c1"], world.orgs["clinic_b"]),
        organisation=world.orgs["clinic_b"],
    )
    for scope in ("view", "change"):
        assert _ids(access.visible_cases(world.users["lan"], scope)) == {ours.pk, assigned.pk}
        # The teammate: the clinic's cases, not what is assigned to lan elsewhere.
        assert _ids(access.visible_cases(world.users["mai"], scope)) == {ours.pk}
        assert _ids(access.visible_people(world.users["mai"], scope)) == {ours.person_id}
    assert theirs.pk not in _ids(access.visible_cases(world.users["lan"]))


def test_caseworker_reaches_the_people_her_clinic_registered_without_a_case(
    world: World,
) -> None:
    registered = _person(world, world.units["c3"], world.orgs["clinic_a"])
    other = _person(world, world.units["c1"], world.orgs["clinic_b"])
    for who in ("lan", "mai"):
        for scope in ("view", "change"):
            assert _ids(access.visible_people(world.users[who], scope)) == {registered.pk}
    assert other.pk not in _ids(access.visible_people(world.users["lan"]))


def test_commune_officer_reaches_his_committees_cases_and_his_communes_residents(
    world: World,
) -> None:
    held_here = make_case(
        person=_person(world, world.units["c3"], world.orgs["clinic_b"]),
        organisation=world.orgs["commune_x"],
    )
    resident = make_case(
        person=_person(world, world.units["c1"], world.orgs["clinic_b"]),
        organisation=world.orgs["clinic_b"],
    )
    # A resident of the neighbouring commune, held by clinic B: not his.
    neighbour = make_case(
        person=_person(world, world.units["c2"], world.orgs["clinic_b"]),
        organisation=world.orgs["clinic_b"],
    )
    minh = world.users["minh"]
    for scope in ("view", "change"):
        assert _ids(access.visible_cases(minh, scope)) == {held_here.pk, resident.pk}
    people = _ids(access.visible_people(minh))
    assert {held_here.person_id, resident.person_id} <= people
    assert neighbour.person_id not in people


def test_commune_officer_reaches_people_without_a_case_by_registration_or_residence(
    world: World,
) -> None:
    registered = _person(world, world.units["c3"], world.orgs["commune_x"])
    resident = _person(world, world.units["c1"], world.orgs["clinic_b"])
    neighbour = _person(world, world.units["c2"], world.orgs["clinic_b"])
    for scope in ("view", "change"):
        assert _ids(access.visible_people(world.users["minh"], scope)) == {
            registered.pk,
            resident.pk,
        }
    assert neighbour.pk not in _ids(access.visible_people(world.users["minh"]))


def test_supervisor_reaches_cases_by_residence_or_by_holder_within_the_subtree(
    world: World, elsewhere: dict[str, Any]
) -> None:
    # Lives in the province (two levels down), held by a clinic outside it.
    resident = make_case(
        person=_person(world, world.units["c2"], elsewhere["clinic"]),
        organisation=elsewhere["clinic"],
    )
    # Lives outside the province, held by a clinic inside it.
    held_inside = make_case(
        person=_person(world, elsewhere["commune"], elsewhere["clinic"]),
        organisation=world.orgs["clinic_a"],
    )
    # Lives and is held outside.
    outside = make_case(
        person=_person(world, elsewhere["commune"], world.orgs["clinic_a"]),
        organisation=elsewhere["clinic"],
    )
    hoa = world.users["hoa"]
    assert _ids(access.visible_cases(hoa)) == {resident.pk, held_inside.pk}
    assert _ids(access.visible_people(hoa)) == {resident.person_id, held_inside.person_id}
    assert access.visible_cases(hoa, "change").count() == 0
    # Registered by a clinic inside the province, but lives and is held outside: not his.
    assert outside.person_id not in _ids(access.visible_people(hoa))


def test_supervisor_of_a_district_stops_at_its_border(world: World) -> None:
    hoa = world.users["hoa"]
    profile = hoa.staff
    profile.scope_unit = world.units["d1"]
    staff_profile_save(actor=None, profile=profile)
    inside = _person(world, world.units["c2"], world.orgs["clinic_b"])
    outside = _person(world, world.units["c3"], world.orgs["clinic_a"])
    two_tier = _person(world, world.units["c4"], world.orgs["clinic_a"])
    assert _ids(access.visible_people(hoa)) == {inside.pk}
    assert not {outside.pk, two_tier.pk} & _ids(access.visible_people(hoa))


def test_two_roles_reach_the_union_of_both_rules(world: World) -> None:
    lan = world.users["lan"]
    profile = lan.staff
    profile.second_role, profile.allow_second_role = Role.COMMUNE_OFFICER, True
    profile.scope_unit = world.units["c3"]
    staff_profile_save(actor=None, profile=profile)
    lan.refresh_from_db()
    as_caseworker = make_case(
        person=_person(world, world.units["c1"], world.orgs["clinic_b"]),
        organisation=world.orgs["clinic_a"],
    )
    as_officer = make_case(
        person=_person(world, world.units["c3"], world.orgs["clinic_b"]),
        organisation=world.orgs["clinic_b"],
    )
    assert _ids(access.visible_cases(lan)) == {as_caseworker.pk, as_officer.pk}


def test_two_roles_reach_the_union_of_both_rules_on_the_person_row(world: World) -> None:
    """People without a case: each role's rule on the person row counts, not only the last
    (a caseworker reaches whom her clinic registered, a supervisor the residents below her)."""
    lan = world.users["lan"]
    profile = lan.staff
    profile.second_role, profile.allow_second_role = Role.SUPERVISOR, True
    profile.scope_unit = world.units["c3"]
    staff_profile_save(actor=None, profile=profile)
    lan.refresh_from_db()
    registered_by_her_clinic = _person(world, world.units["c1"], world.orgs["clinic_a"])
    resident_below_her = _person(world, world.units["c3"], world.orgs["clinic_b"])
    assert _ids(access.visible_people(lan)) >= {
        registered_by_her_clinic.pk,
        resident_below_her.pk,
    }


def test_a_person_grant_adds_to_what_the_role_reaches(world: World, tuan_person: Person) -> None:
    """A grant on one person widens the rule; it never replaces it."""
    lan = world.users["lan"]
    registered = _person(world, world.units["c3"], world.orgs["clinic_a"])
    grant_give(actor=None, user=lan, obj=tuan_person, scope="view")
    assert _ids(access.visible_people(lan)) >= {registered.pk, tuan_person.pk}


def test_a_teammate_sees_every_part_of_a_case_her_clinic_holds(world: World) -> None:
    """Held by her organisation, assigned to someone else: the rule reaches it, so every part
    shows (not only the parts a grant would open)."""
    case = make_case(
        person=_person(world, world.units["c1"], world.orgs["clinic_a"]),
        organisation=world.orgs["clinic_a"],
    )
    assert case.assigned_to_id != world.users["mai"].pk
    assert access.parts_visible(world.users["mai"], case) is access.ALL


@pytest.mark.parametrize("who", ["an", "quan"])
def test_roles_without_case_content_reach_nothing(
    world: World, lan_person: Person, who: str
) -> None:
    user = world.users[who]
    grant_give(actor=None, user=user, obj=lan_person, scope="view")
    grant_give(actor=None, user=user, obj=lan_person.cases.get(), scope="view")
    assert access.visible_people(user).count() == 0
    assert access.visible_cases(user).count() == 0


def test_anonymous_and_inactive_users_reach_nothing(world: World, lan_person: Person) -> None:
    assert access.visible_people(AnonymousUser()).count() == 0
    assert access.visible(AnonymousUser(), CaseNote).count() == 0
    lan = world.users["lan"]
    lan.is_active = False
    assert access.visible_cases(lan).count() == 0
    assert access.profile_of(lan) is None


# --- one-by-one grants -----------------------------------------------------------------------


def test_a_case_grant_reaches_that_case_for_that_user_in_that_scope(
    world: World, tuan_person: Person, lan_person: Person
) -> None:
    lan, mai = world.users["lan"], world.users["mai"]
    case = tuan_person.cases.get()
    other = make_case(person=tuan_person, organisation=world.orgs["clinic_b"])
    grant_give(actor=None, user=lan, obj=case, scope="view")
    own = lan_person.cases.get().pk
    assert _ids(access.visible_cases(lan)) == {own, case.pk}  # the grant and the role rule
    assert case.pk not in _ids(access.visible_cases(lan, "change"))  # a view grant only
    assert other.pk not in _ids(access.visible_cases(lan))  # that case, not its siblings
    assert case.pk not in _ids(access.visible_cases(mai))  # that user only
    assert tuan_person.pk in _ids(access.visible_people(lan))  # its person, through it
    grant_give(actor=None, user=lan, obj=case, scope="change")
    assert case.pk in _ids(access.visible_cases(lan, "change"))
    grant_revoke(actor=None, user=lan, obj=case, scope="view")
    grant_revoke(actor=None, user=lan, obj=case, scope="change")
    assert case.pk not in _ids(access.visible_cases(lan))


def test_a_person_grant_reaches_that_person_for_that_user_in_that_scope(
    world: World, tuan_person: Person
) -> None:
    lan, mai = world.users["lan"], world.users["mai"]
    sibling = _person(world, world.units["c3"], world.orgs["clinic_b"])
    grant_give(actor=None, user=lan, obj=tuan_person, scope="view")
    assert tuan_person.pk in _ids(access.visible_people(lan))
    assert sibling.pk not in _ids(access.visible_people(lan))
    assert tuan_person.pk not in _ids(access.visible_people(lan, "change"))
    assert tuan_person.pk not in _ids(access.visible_people(mai))
    # A grant on the person does not open their cases.
    assert access.visible_cases(lan).filter(person=tuan_person).count() == 0
    grant_give(actor=None, user=lan, obj=tuan_person, scope="change")
    assert tuan_person.pk in _ids(access.visible_people(lan, "change"))


@pytest.mark.parametrize("model", ["person", "case"])
def test_a_grant_counts_until_it_expires(world: World, tuan_person: Person, model: str) -> None:
    lan = world.users["lan"]
    obj: Person | Case = tuan_person if model == "person" else tuan_person.cases.get()
    visible = access.visible_people if model == "person" else access.visible_cases
    now = timezone.now()
    grant = grant_give(actor=None, user=lan, obj=obj, expires_at=now + timedelta(hours=1))
    assert obj.pk in _ids(visible(lan))
    # Time passes: giving never shortens a live grant, so the row's end is moved instead.
    type(grant).objects.filter(pk=grant.pk).update(expires_at=now - timedelta(seconds=1))
    assert obj.pk not in _ids(visible(lan))
    grant_give(actor=None, user=lan, obj=obj, expires_at=None)  # an expired row is replaced
    assert obj.pk in _ids(visible(lan))


def test_visible_hands_people_and_cases_to_their_rules_with_the_scope(
    world: World, lan_person: Person, tuan_person: Person
) -> None:
    hoa, lan = world.users["hoa"], world.users["lan"]
    both = {lan_person.pk, tuan_person.pk}
    assert _ids(access.visible(hoa, Person)) == both
    assert {c.person_id for c in access.visible(hoa, Case)} == both
    assert _ids(access.visible(hoa, Person, "change")) == set()
    assert _ids(access.visible(hoa, Case, "change")) == set()
    theirs = tuan_person.cases.get()
    grant_give(actor=None, user=lan, obj=theirs, scope="change")
    assert theirs.pk in _ids(access.visible(lan, Case, "change"))


def test_get_for_user_looks_only_in_the_queryset_it_is_given(
    world: World, lan_person: Person
) -> None:
    lan = world.users["lan"]
    case = lan_person.cases.get()
    closed = access.visible_cases(lan).filter(status="closed")
    with pytest.raises(Http404):
        access.get_for_user(lan, Case, case.pk, queryset=closed)
    assert Event.objects.get(actor=lan, action=CaseAction.DENIED).object_id == str(case.pk)


# --- can() on objects --------------------------------------------------------------------------


def test_can_asks_for_the_capabilitys_own_scope(world: World, lan_person: Person) -> None:
    tuan = world.users["tuan"]
    grant_give(actor=None, user=tuan, obj=lan_person, scope="view")
    assert can(tuan, "person.view", lan_person)
    assert not can(tuan, "person.change", lan_person)
    assert can(world.users["mai"], "person.change", lan_person)


def test_in_scope_answers_only_for_saved_scoped_records(world: World, lan_person: Person) -> None:
    from accounts.capabilities import get

    change = get("person.change")
    lan = world.users["lan"]
    assert access.in_scope(lan, change, lan_person) is True
    assert access.in_scope(lan, change, world.orgs["clinic_a"]) is None
    assert access.in_scope(lan, change, "not a record") is None
    assert access.in_scope(lan, change, PersonNote(person=lan_person)) is None  # unsaved
    assert not can(lan, "person.change", world.orgs["clinic_a"])


# --- records that hang off a person or a case --------------------------------------------------


@pytest.fixture
def records(world: World, lan_person: Person, tuan_person: Person) -> dict[str, Any]:
    lan_case, tuan_case = lan_person.cases.get(), tuan_person.cases.get()
    made: dict[str, Any] = {}
    for key, person, case in (("a", lan_person, lan_case), ("b", tuan_person, tuan_case)):
        note = CaseNote.objects.create(case=case, text=f"Ghi chú {key}")
        person_note = PersonNote.objects.create(person=person, author=world.users["lan"])
        made[key] = {
            CaseNote: note,
            PersonNote: person_note,
            NoteComment: NoteComment.objects.create(note=note),
            PersonNoteReply: PersonNoteReply.objects.create(reply_to=person_note),
        }
    return made


def test_scope_paths_come_from_the_foreign_key_or_the_declared_path() -> None:
    assert access.scope_path(Person) == access.scope_path(Case) == ""
    assert access.scope_path(CaseNote) == "case"
    assert access.scope_path(PersonNote) == "person"  # not "author", the first relation
    assert access.scope_path(NoteComment) == "note__case"
    assert access.scope_path(PersonNoteReply) == "reply_to__person"
    assert access.is_scoped(NoteComment) and access.is_scoped(Person)
    assert not access.is_scoped(Organisation) and not access.is_scoped(StaffProfile)
    with pytest.raises(TypeError, match="cases.Organisation hangs off neither"):
        access.scope_path(Organisation)


def test_a_declared_path_must_end_at_a_person_or_a_case(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A path to anything else is refused loudly, not scoped by accident."""
    monkeypatch.setattr(PersonNote, "scope_through", "author", raising=False)
    assert not access.is_scoped(PersonNote)
    with pytest.raises(TypeError, match="PersonNote.scope_through does not end at Person or"):
        access.visible(world.users["lan"], PersonNote)


MODELS = [CaseNote, PersonNote, NoteComment, PersonNoteReply]
EXPECTED = {"lan": {"a"}, "mai": {"a"}, "tuan": {"b"}, "hoa": {"a", "b"}, "an": set()}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_records_are_visible_through_their_owner(
    world: World, records: dict[str, Any], model: type[Any], who: str
) -> None:
    user = world.users[who]
    assert _ids(access.visible(user, model)) == {records[k][model].pk for k in EXPECTED[who]}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_records_follow_the_owners_change_scope(
    world: World, records: dict[str, Any], model: type[Any]
) -> None:
    assert _ids(access.visible(world.users["hoa"], model, "change")) == set()
    assert _ids(access.visible(world.users["lan"], model, "change")) == {records["a"][model].pk}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_each_record_names_its_person(
    world: World, records: dict[str, Any], lan_person: Person, model: type[Any]
) -> None:
    assert access.person_id_of(records["a"][model]) == lan_person.pk


def test_person_id_of_people_cases_and_others(world: World, lan_person: Person) -> None:
    case = lan_person.cases.get()
    assert access.person_id_of(lan_person) == lan_person.pk
    assert access.person_id_of(case) == lan_person.pk
    assert access.person_id_of(world.orgs["clinic_a"]) is None
    assert access.person_id_of("text") is None


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_get_for_user_records_the_read_naming_the_person(
    world: World, records: dict[str, Any], lan_person: Person, model: type[Any]
) -> None:
    lan = world.users["lan"]
    record = records["a"][model]
    assert access.get_for_user(lan, model, record.pk, "change") == record
    event = Event.objects.get(actor=lan, action=CaseAction.RECORD_READ)
    assert event.object_id == str(record.pk)
    assert event.object_type == model._meta.model_name
    assert event.person_id == lan_person.pk
    assert event.detail == {"perm": "change"}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_get_for_user_denies_out_of_scope_records(
    world: World, records: dict[str, Any], model: type[Any]
) -> None:
    lan = world.users["lan"]
    record = records["b"][model]
    with pytest.raises(Http404):
        access.get_for_user(lan, model, record.pk)
    with pytest.raises(Http404):
        access.get_for_user(world.users["hoa"], model, records["a"][model].pk, "change")
    denials = Event.objects.filter(action=CaseAction.DENIED).order_by("seq")
    assert [(e.actor, e.object_id, e.detail) for e in denials] == [
        (lan, str(record.pk), {"perm": "view"}),
        (world.users["hoa"], str(records["a"][model].pk), {"perm": "change"}),
    ]
    assert denials[0].object_type == model._meta.model_name
    assert not Event.objects.filter(action=CaseAction.RECORD_READ).exists()


def test_get_for_user_names_the_read_action_of_people_and_cases(
    world: World, lan_person: Person
) -> None:
    lan = world.users["lan"]
    case = lan_person.cases.get()
    assert access.get_person_for_user(lan, lan_person.pk) == lan_person
    assert access.get_case_for_user(lan, case.pk, "change") == case
    events = Event.objects.filter(actor=lan).order_by("seq")
    assert [(e.action, e.object_id, e.person_id, e.detail) for e in events] == [
        (CaseAction.PERSON_READ, str(lan_person.pk), lan_person.pk, {"perm": "view"}),
        (CaseAction.CASE_READ, str(case.pk), lan_person.pk, {"perm": "change"}),
    ]


def test_get_for_user_without_a_read_event_still_denies(world: World, lan_person: Person) -> None:
    lan, tuan = world.users["lan"], world.users["tuan"]
    assert access.get_person_for_user(lan, lan_person.pk, record_read=False) == lan_person
    assert access.get_case_for_user(lan, lan_person.cases.get().pk, record_read=False)
    assert not Event.objects.filter(actor=lan).exists()
    with pytest.raises(Http404):
        access.get_person_for_user(tuan, lan_person.pk, record_read=False)
    assert Event.objects.get(actor=tuan).action == CaseAction.DENIED


@pytest.mark.parametrize("bad", ["not-a-uuid", "", 12, ["x"]])
def test_a_malformed_id_is_a_recorded_404(world: World, bad: Any) -> None:
    """Bad input (an id from a form, say) is a 404 and a denial, never a 500."""
    lan = world.users["lan"]
    with pytest.raises(Http404):
        access.get_for_user(lan, Person, bad)
    denial = Event.objects.get(action=CaseAction.DENIED)
    assert (denial.object_type, denial.detail) == ("person", {"perm": "view"})


def test_a_read_through_an_emergency_access_names_it(world: World, lan_person: Person) -> None:
    tuan = world.users["tuan"]
    grant = actions.emergency_access_grant(
        actor=tuan, person=lan_person, reason="Cấp cứu, cần xem liều gần nhất"
    )
    access.get_person_for_user(tuan, lan_person.pk)
    read = Event.objects.get(actor=tuan, action=CaseAction.PERSON_READ)
    assert read.detail == {"perm": "view", "emergency_access": str(grant.pk)}
    # Another user's emergency access does not mark lan's reads.
    access.get_person_for_user(world.users["lan"], lan_person.pk)
    assert Event.objects.get(actor=world.users["lan"]).detail == {"perm": "view"}


# --- figures ----------------------------------------------------------------------------------


@pytest.fixture
def population(world: World, elsewhere: dict[str, Any]) -> dict[str, Person]:
    people = {
        "c1": _person(world, world.units["c1"], world.orgs["clinic_a"]),
        "c2": _person(world, world.units["c2"], elsewhere["clinic"]),
        "c3": _person(world, world.units["c3"], world.orgs["commune_x"]),
        # Lives outside the province; registered and held by clinic A inside it.
        "away": _person(world, elsewhere["commune"], world.orgs["clinic_a"]),
    }
    for key, person in people.items():
        organisation = world.orgs["commune_x"] if key == "c3" else world.orgs["clinic_a"]
        make_case(person=person, organisation=organisation)
    return people


def test_figures_count_residents_of_the_scope_unit_only(
    world: World, population: dict[str, Person]
) -> None:
    hoa, minh = world.users["hoa"], world.users["minh"]
    assert access.figures_unit(hoa) == world.units["province"]
    assert access.figures_unit(minh) == world.units["c1"]
    by_key = {p.pk: k for k, p in population.items()}
    assert {by_key[pk] for pk in _ids(access.figures_people(hoa))} == {"c1", "c2", "c3"}
    # The commune officer reaches the case held by his committee in 98201 one by one, but
    # his figures count only the residents of his commune.
    assert {by_key[pk] for pk in _ids(access.figures_people(minh))} == {"c1"}
    assert {by_key[c.person_id] for c in access.figures_cases(hoa)} == {"c1", "c2", "c3"}
    assert {by_key[c.person_id] for c in access.figures_cases(minh)} == {"c1"}


def test_grants_never_widen_the_figures(
    world: World, population: dict[str, Person], lan_person: Person
) -> None:
    minh = world.users["minh"]
    before_people, before_cases = (
        _ids(access.figures_people(minh)),
        _ids(access.figures_cases(minh)),
    )
    grant_give(actor=None, user=minh, obj=population["c2"], scope="view")
    grant_give(actor=None, user=minh, obj=population["c2"].cases.get(), scope="view")
    reason = "Cấp cứu, cần xem liều gần nhất"
    actions.emergency_access_grant(actor=minh, person=population["away"], reason=reason)
    assert population["c2"].pk in _ids(access.visible_people(minh))
    assert _ids(access.figures_people(minh)) == before_people
    assert _ids(access.figures_cases(minh)) == before_cases


@pytest.mark.parametrize("who", ["lan", "mai", "an", "quan"])
def test_roles_without_figures_count_nothing(
    world: World, population: dict[str, Person], who: str
) -> None:
    user = world.users[who]
    assert access.figures_unit(user) is None
    assert access.figures_people(user).count() == 0
    assert access.figures_cases(user).count() == 0


def test_a_user_without_a_profile_has_no_figures(
    world: World, population: dict[str, Person]
) -> None:
    hoa = world.users["hoa"]
    StaffProfile.objects.filter(user=hoa).delete()
    hoa.refresh_from_db()
    assert access.figures_unit(hoa) is None
    assert access.figures_people(hoa).count() == 0
    assert access.figures_unit(AnonymousUser()) is None


# --- choice lists and masking ------------------------------------------------------------------


def test_cases_are_opened_for_the_users_own_active_organisation(world: World) -> None:
    assert list(access.case_organisations(world.users["lan"])) == [world.orgs["clinic_a"]]
    assert list(access.case_organisations(world.users["minh"])) == [world.orgs["commune_x"]]
    for who in ("hoa", "an", "quan"):
        assert access.case_organisations(world.users[who]).count() == 0
    Organisation.objects.filter(pk=world.orgs["clinic_a"].pk).update(is_active=False)
    assert access.case_organisations(world.users["lan"]).count() == 0
    assert access.case_organisations(AnonymousUser()).count() == 0


def test_assignable_staff_are_the_active_case_holders_of_those_organisations(
    world: World,
) -> None:
    clinic_a = Organisation.objects.filter(pk=world.orgs["clinic_a"].pk)
    lan, mai = world.users["lan"], world.users["mai"]
    lan.last_name, mai.last_name = "Trần", "Nguyễn"
    lan.save()
    mai.save()
    assert list(access.assignable_staff(clinic_a)) == [mai, lan]
    # An auditor in the same organisation holds no cases; an inactive teammate is left out.
    auditor = StaffProfile.objects.get(user=world.users["an"])
    auditor.organisation = world.orgs["clinic_a"]
    staff_profile_save(actor=None, profile=auditor)
    mai.is_active = False
    mai.save()
    assert list(access.assignable_staff(clinic_a)) == [lan]
    everyone = Organisation.objects.filter(pk__in=[o.pk for o in world.orgs.values()])
    assert set(access.assignable_staff(everyone)) == {lan, world.users["tuan"], world.users["minh"]}


def test_victims_are_found_among_the_people_asked_about_only(world: World) -> None:
    from cases.choices import ClientCategory

    asked, other = (_person(world, world.units["c1"], world.orgs["clinic_a"]) for _ in range(2))
    plain = _person(world, world.units["c1"], world.orgs["clinic_a"])
    for person in (asked, other):
        make_case(
            person=person,
            organisation=world.orgs["clinic_a"],
            category=ClientCategory.TRAFFICKING_VICTIM,
        )
    make_case(person=plain, organisation=world.orgs["clinic_a"])
    assert access.victim_person_ids([asked.pk, plain.pk]) == {asked.pk}
    assert access.masks_victims(world.users["hoa"])
    assert not access.masks_victims(world.users["lan"])


# --- emergency accesses ------------------------------------------------------------------------


def test_a_supervisor_reviews_accesses_by_his_staff_or_about_his_residents(
    world: World, elsewhere: dict[str, Any], lan_person: Person
) -> None:
    reason = "Cấp cứu, cần xem liều gần nhất"
    hoa = world.users["hoa"]
    # By his province's staff about someone living elsewhere, and by a stranger about a
    # resident of his province: both are his to review.
    far = _person(world, elsewhere["commune"], elsewhere["clinic"])
    by_staff = actions.emergency_access_grant(actor=world.users["tuan"], person=far, reason=reason)
    stranger = StaffProfile.objects.get(user=world.users["quan"])
    stranger.organisation, stranger.role = elsewhere["clinic"], Role.CASEWORKER
    stranger.scope_unit = elsewhere["commune"]
    staff_profile_save(actor=None, profile=stranger)
    about_resident = actions.emergency_access_grant(
        actor=world.users["quan"], person=lan_person, reason=reason
    )
    assert _ids(access.reviewable_emergency_accesses(hoa)) == {by_staff.pk, about_resident.pk}
    assert access.get_case_for_user(hoa, lan_person.cases.get().pk) is not None  # view scope


def test_only_an_emergency_access_to_that_person_marks_a_read(
    world: World, lan_person: Person, tuan_person: Person
) -> None:
    lan = world.users["lan"]
    actions.emergency_access_grant(
        actor=lan, person=tuan_person, reason="Cấp cứu, cần xem liều gần nhất"
    )
    access.get_person_for_user(lan, lan_person.pk)
    assert Event.objects.get(actor=lan, action=CaseAction.PERSON_READ).detail == {"perm": "view"}
