"""A person changes residence (issue 30 part 1, D50): the move, the 24-hour hand-over,
acceptance, the follow-up continuing in the new commune, the old commune's read period.

Places (besides the shared world): commune 98102 (c2) with its People's Committee (nga, a
commune officer) and its police (cong); province 97 with commune 97101 (binh, a commune
officer there). The person lives in 98101 (c1, minh's commune).

The clock is fixed (``clock``): the deadline and the read period are crossed by moving it,
never by sleeping.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from audit.models import Event
from cases import access, dues, moves
from cases.choices import Role, UnitLevel
from cases.events import CaseAction
from cases.models import (
    AdministrativeUnit,
    Case,
    Move,
    Organisation,
    OrganisationType,
    Person,
    Residence,
    StaffProfile,
)
from cases.move_models import MoveState, ResidenceSource
from cases.roles import staff_profile_save
from core.editing import OVERRIDE
from notifications.models import Notification
from services.models import FollowUp, PostRehabPeriod
from tests.conftest import World
from tests.factories import make_case, make_person, make_user

T0 = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)


class Clock:
    """A fixed clock: ``timezone.now`` answers ``at`` until the test moves it."""

    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime.datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += datetime.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    fixed = Clock()
    monkeypatch.setattr(timezone, "now", fixed)
    yield fixed


@dataclass
class Moving:
    world: World
    person: Person
    commune_case: Case  # held by the old commune's People's Committee
    clinic_case: Case  # held by a district clinic: stays there
    followup: FollowUp
    period: PostRehabPeriod


def _staff(name: str, role: str, organisation: Organisation, scope: AdministrativeUnit) -> Any:
    user = make_user(name)
    staff_profile_save(
        actor=None,
        profile=StaffProfile(user=user, organisation=organisation, role=role, scope_unit=scope),
    )
    return user


@pytest.fixture
def moving(world: World, clock: Clock) -> Moving:
    types = {t.code: t for t in OrganisationType.objects.all()}
    c2 = world.units["c2"]
    world.orgs["commune_y"] = Organisation.objects.create(
        name="UBND xã Một Hai", type=types["commune-committee"], unit=c2
    )
    world.orgs["police_y"] = Organisation.objects.create(
        name="Công an xã Một Hai", type=types["police"], unit=c2
    )
    world.users["nga"] = _staff("nga", Role.COMMUNE_OFFICER, world.orgs["commune_y"], c2)
    world.users["cong"] = _staff("cong", Role.COMMUNE_OFFICER, world.orgs["police_y"], c2)
    other = AdministrativeUnit.objects.create(code="97", name="Tỉnh Khác", level=UnitLevel.PROVINCE)
    world.units["p97"] = other
    world.units["c97"] = AdministrativeUnit.objects.create(
        code="97101", name="Xã Khác Một", level=UnitLevel.COMMUNE, parent=other
    )
    world.orgs["commune_z"] = Organisation.objects.create(
        name="UBND xã Khác Một", type=types["commune-committee"], unit=world.units["c97"]
    )
    world.users["binh"] = _staff(
        "binh", Role.COMMUNE_OFFICER, world.orgs["commune_z"], world.units["c97"]
    )
    person = make_person(
        full_name="Phạm Văn Dời",
        residence_commune=world.units["c1"],
        registered_by=world.orgs["commune_x"],
    )
    commune_case = make_case(
        person=person,
        organisation=world.orgs["commune_x"],
        category="post_rehab",
        assigned_to=world.users["minh"],
    )
    clinic_case = make_case(person=person, organisation=world.orgs["clinic_a"])
    followup = FollowUp.objects.create(
        case=commune_case,
        kind="post_rehab_checkin",
        due_on=T0.date() + datetime.timedelta(days=3),
        responsible=world.users["minh"],
        recorded_by=world.users["minh"],
    )
    period = PostRehabPeriod.objects.create(
        case=commune_case,
        officer=world.users["minh"],
        started_on=datetime.date(2026, 1, 15),
        planned_end_on=datetime.date(2027, 1, 15),
        recorded_by=world.users["minh"],
    )
    dues.case_refresh(case_id=commune_case.pk)
    return Moving(world, person, commune_case, clinic_case, followup, period)


def _record(m: Moving, to: str = "c2", who: str = "minh") -> Move:
    response = m.world.client(who).post(
        reverse("cases:move_record", args=[m.person.pk]),
        {
            "to_commune": m.world.units[to].pk,
            "moved_on": "2026-03-01",
            "source": "police",
            "confirm": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Move.objects.get(person=m.person)


def _denials(user: Any) -> int:
    return Event.objects.filter(action=CaseAction.DENIED, actor=user).count()


def handover_count_of(m: Moving, who: str) -> tuple[int, int]:
    return moves.handover_count(m.world.users[who])


def _tallies(m: Moving, who: str) -> tuple[int, int]:
    """Return the start page's two counts: waiting to be accepted, and overdue."""
    response = m.world.client(who).get(reverse("cases:my_work"))
    assert response.status_code == 200
    found = moves.tallies(m.world.users[who])
    if not found:  # nothing waits: no cards, so a busy start page stays short on a phone
        assert "người chuyển đến, chờ tiếp nhận" not in response.content.decode()
        assert handover_count_of(m, who) == (0, 0)
        return 0, 0
    assert reverse("cases:handover_queue") in response.content.decode()  # shown there
    waiting, late = found
    assert (waiting.url, late.url, late.warning) == (
        reverse("cases:handover_queue"),
        reverse("cases:handover_queue"),
        True,
    )
    return waiting.value, late.value


def test_recording_a_move_notifies_the_new_commune_with_a_24_hour_deadline(
    moving: Moving, clock: Clock
) -> None:
    m = moving
    move = _record(m)
    assert move.state == MoveState.PENDING
    assert move.from_commune == m.world.units["c1"] and move.to_commune == m.world.units["c2"]
    assert move.due_at == T0 + datetime.timedelta(hours=24)
    event = Event.objects.get(action=CaseAction.MOVE_RECORDED)
    assert event.actor == m.world.users["minh"] and event.person_id == m.person.pk
    # The new commune's social officer and its police are told; nobody else.
    told = set(
        Notification.objects.filter(verb=moves.MOVE_VERB).values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"nga", "cong"}
    # Nothing moved yet: the person still lives in the old commune.
    m.person.refresh_from_db()
    assert m.person.residence_commune == m.world.units["c1"]

    # The receiving side's queue and start page count it; not overdue for 24 hours.
    assert _tallies(m, "nga") == (1, 0)
    clock.advance(hours=23, minutes=59)
    assert not Move.objects.get(pk=move.pk).overdue()
    page = m.world.client("nga").get(reverse("cases:handover_queue")).content.decode()
    assert 'data-testid="handover"' in page and "tag warning" not in page

    # After 24 hours: overdue on the receiver's queue and start page, and on the sender's view.
    clock.advance(minutes=2)
    assert moves.handover_count(m.world.users["nga"]) == (1, 1)
    page = m.world.client("nga").get(reverse("cases:handover_queue")).content.decode()
    assert "tag warning" in page
    assert _tallies(m, "nga") == (1, 1)
    sender_page = m.world.client("minh").get(reverse("cases:move_detail", args=[move.pk]))
    assert 'data-testid="move-overdue"' in sender_page.content.decode()
    person_page = m.world.client("minh").get(reverse("cases:person_detail", args=[m.person.pk]))
    assert "card overdue" in person_page.content.decode()


def test_before_acceptance_the_receiver_sees_only_the_hand_over(moving: Moving) -> None:
    """The new commune sees the hand-over (record number, communes, dates), not the person.

    ASVS 8.2.2: data-specific access; the attempt is refused (404) and logged.
    """
    m = moving
    move = _record(m)
    nga = m.world.client("nga")
    page = nga.get(reverse("cases:move_detail", args=[move.pk])).content.decode()
    assert m.person.short_id in page and "Phạm Văn Dời" not in page
    before = _denials(m.world.users["nga"])
    for url in (
        reverse("cases:person_detail", args=[m.person.pk]),
        reverse("cases:case_detail", args=[m.commune_case.pk]),
    ):
        assert nga.get(url).status_code == 404
    assert _denials(m.world.users["nga"]) == before + 2


def test_acceptance_hands_the_follow_up_to_the_new_commune(moving: Moving, clock: Clock) -> None:
    m = moving
    move = _record(m)
    clock.advance(hours=3)
    response = m.world.client("nga").post(reverse("cases:move_accept", args=[move.pk]))
    assert response.status_code == 302
    move.refresh_from_db()
    assert move.state == MoveState.ACCEPTED and move.accepted_by == m.world.users["nga"]
    assert move.read_until == clock.at + datetime.timedelta(days=moves.read_days())
    m.person.refresh_from_db()
    assert m.person.residence_commune == m.world.units["c2"]
    # The case the old commune held passes to the new commune (the transfer path); the
    # clinic's case stays with the clinic, its commune copy follows the person.
    m.commune_case.refresh_from_db()
    assert m.commune_case.organisation == m.world.orgs["commune_y"]
    assert m.commune_case.assigned_to == m.world.users["nga"]
    assert m.commune_case.residence_commune == m.world.units["c2"]
    m.clinic_case.refresh_from_db()
    assert m.clinic_case.organisation == m.world.orgs["clinic_a"]
    assert m.clinic_case.residence_commune == m.world.units["c2"]
    changed = Event.objects.filter(action=CaseAction.CASE_CHANGED, object_id=str(m.commune_case.pk))
    assert changed.get().detail["move"] == str(move.pk)
    # Follow-ups, due services and the post-rehab period continue in the new commune.
    m.followup.refresh_from_db()
    m.period.refresh_from_db()
    assert m.followup.responsible == m.world.users["nga"]
    assert m.period.officer == m.world.users["nga"]
    until = clock.at.date() + datetime.timedelta(days=7)
    assert [i.record.pk for i in dues.due_for(viewer=m.world.users["nga"], until=until)] == [
        m.followup.pk
    ]
    assert dues.due_for(viewer=m.world.users["minh"], until=until) == []
    nga = m.world.client("nga")
    assert nga.get(reverse("cases:person_detail", args=[m.person.pk])).status_code == 200
    access.get_case_for_user(m.world.users["nga"], m.commune_case.pk, "change")
    # Residence history: the old commune until the move day, the new one from it.
    rows = {
        r.commune.code: (r.started_on, r.ended_on, r.source)
        for r in Residence.objects.filter(person=m.person)
    }
    assert rows["98102"] == (datetime.date(2026, 3, 1), None, ResidenceSource.MOVE)
    # (the fixture's person was saved without the registration action: no row until now)
    assert rows["98101"] == (None, datetime.date(2026, 3, 1), ResidenceSource.EARLIER)
    # Recorded, and the sender told; a second acceptance is refused.
    accepted = Event.objects.get(action=CaseAction.MOVE_ACCEPTED)
    assert accepted.detail["cases"] == [str(m.commune_case.pk)] and accepted.detail["items"] == 2
    assert Notification.objects.filter(
        recipient=m.world.users["minh"], verb=moves.MOVE_ACCEPTED_VERB
    ).exists()
    assert _tallies(m, "nga") == (0, 0)
    again = nga.post(reverse("cases:move_accept", args=[move.pk]))
    assert again.status_code == 302
    assert Event.objects.filter(action=CaseAction.MOVE_ACCEPTED).count() == 1


def test_the_old_commune_reads_for_the_set_period_then_loses_access(
    moving: Moving, clock: Clock, settings: Any
) -> None:
    """After the hand-over the old commune reads (never changes) what it held, for
    HOA_NHAP_MOVE_READ_DAYS; then every attempt is a 404 and a logged denial.

    ASVS 8.2.2 (data-specific access), ASVS 8.3.1 (enforced in the access layer).
    """
    settings.MOVE_READ_DAYS = 10
    m = moving
    move = _record(m)
    # someone of another commune, registered elsewhere: never the old commune's to see
    make_person(
        full_name="Người Xã Khác",
        residence_commune=m.world.units["c97"],
        registered_by=m.world.orgs["commune_z"],
    )
    seen = set(access.visible_people(m.world.users["minh"]).values_list("pk", flat=True))
    moves.move_accept(actor=m.world.users["nga"], move_id=move.pk)
    minh = m.world.users["minh"]
    client = m.world.client("minh")
    person_url = reverse("cases:person_detail", args=[m.person.pk])
    case_url = reverse("cases:case_detail", args=[m.commune_case.pk])
    assert client.get(person_url).status_code == 200
    assert client.get(case_url).status_code == 200
    # Read only: no change, no new case.
    before = _denials(minh)
    assert client.get(reverse("cases:case_edit", args=[m.commune_case.pk])).status_code == 404
    assert client.get(reverse("cases:person_edit", args=[m.person.pk])).status_code == 404
    assert _denials(minh) == before + 2
    assert m.person in access.visible_people(minh)
    assert m.person not in access.visible_people(minh, "change")

    clock.advance(days=9, hours=23)
    # (a new sign-in each time: the idle session expired while the clock moved)
    assert m.world.client("minh").get(person_url).status_code == 200
    clock.advance(hours=2)  # past read_until
    client = m.world.client("minh")
    before = _denials(minh)
    assert client.get(person_url).status_code == 404
    assert client.get(case_url).status_code == 404
    assert client.get(reverse("cases:move_detail", args=[move.pk])).status_code == 404
    assert _denials(minh) == before + 3
    assert m.person not in access.visible_people(minh)
    assert not access.visible_cases(minh).filter(person=m.person).exists()
    # and the move widened nothing: the old commune sees no one it did not see before
    fresh = type(minh).objects.get(pk=minh.pk)  # a new reach, read after the period ended
    assert set(access.visible_people(fresh).values_list("pk", flat=True)) <= seen - {m.person.pk}


def test_a_move_to_another_province_works_across_scopes(moving: Moving, clock: Clock) -> None:
    """Only the new commune's officer accepts; the district and province of the old commune
    get nothing new; the new side sees only the hand-over before accepting.

    ASVS 8.2.2: every refused attempt is a 404 and a logged denial.
    """
    m = moving
    move = _record(m, to="c97")
    assert set(
        Notification.objects.filter(verb=moves.MOVE_VERB).values_list(
            "recipient__username", flat=True
        )
    ) == {"binh"}
    binh = m.world.client("binh")
    assert binh.get(reverse("cases:person_detail", args=[m.person.pk])).status_code == 404
    assert (
        "Phạm Văn Dời"
        not in binh.get(reverse("cases:move_detail", args=[move.pk])).content.decode()
    )
    # Nobody else accepts: another commune's officer, the old province's supervisor, an outsider.
    for name in ("nga", "hoa", "tuan", "minh"):
        before = _denials(m.world.users[name])
        response = m.world.client(name).post(reverse("cases:move_accept", args=[move.pk]))
        assert response.status_code == 404, name
        assert _denials(m.world.users[name]) == before + 1, name
    assert Move.objects.get(pk=move.pk).state == MoveState.PENDING
    # tuan plays no part at all.
    assert (
        m.world.client("tuan").get(reverse("cases:move_detail", args=[move.pk])).status_code == 404
    )

    moves.move_accept(actor=m.world.users["binh"], move_id=move.pk)
    assert binh.get(reverse("cases:person_detail", args=[m.person.pk])).status_code == 200
    m.commune_case.refresh_from_db()
    assert m.commune_case.organisation == m.world.orgs["commune_z"]
    # The old province's supervisor reads for the read period, then not.
    hoa = m.world.users["hoa"]
    assert m.person in access.visible_people(hoa)
    clock.advance(days=moves.read_days(), seconds=1)
    # (the clinic of district 981 still holds a case, so hoa sees that case by organisation)
    assert not access.visible_cases(hoa).filter(pk=m.commune_case.pk).exists()
    assert (
        m.world.client("minh").get(reverse("cases:person_detail", args=[m.person.pk])).status_code
        == 404
    )


def test_registration_and_a_correction_write_the_residence_history(
    world: World, clock: Clock
) -> None:
    minh = world.client("minh")
    response = minh.post(
        reverse("cases:person_create"),
        {
            "full_name": "Đỗ Thị Mới",
            "sex": "F",
            "birth_year": "1995",
            "residence_commune": world.units["c1"].pk,
            "citizen_id": "",
            "version": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    person = Person.objects.get(residence_commune=world.units["c1"], birth_year=1995)
    row = Residence.objects.get(person=person)
    assert (row.commune, row.started_on, row.ended_on, row.source) == (
        world.units["c1"],
        T0.date(),
        None,
        ResidenceSource.REGISTRATION,
    )
    # A person from before the history: a correction of the commune writes both stretches.
    old = make_person(residence_commune=world.units["c1"], registered_by=world.orgs["commune_x"])
    Residence.objects.filter(person=old).delete()
    from cases import actions

    data = actions.PersonData(
        full_name="Nguyễn Văn Thử",
        residence_commune=world.units["c2"],
        sex="M",
        birth_year=1990,
    )
    actions.person_update(actor=world.users["minh"], person=old, data=data, if_version=OVERRIDE)
    rows = sorted(Residence.objects.filter(person=old), key=lambda r: r.started_on is not None)
    assert [(r.commune.code, r.started_on, r.ended_on, r.source) for r in rows] == [
        ("98101", None, T0.date(), ResidenceSource.EARLIER),
        ("98102", T0.date(), None, ResidenceSource.EDIT),
    ]


def test_a_bad_move_is_refused_with_the_input_kept(moving: Moving) -> None:
    m = moving
    url = reverse("cases:move_record", args=[m.person.pk])
    client = m.world.client("minh")
    response = client.post(
        url,
        {
            "to_commune": m.world.units["c1"].pk,
            "moved_on": "2026-03-01",
            "source": "family",
            "confirm": "on",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].data["source"] == "family"
    assert not Move.objects.exists()
    future = (T0.date() + datetime.timedelta(days=2)).isoformat()
    response = client.post(
        url, {"to_commune": m.world.units["c2"].pk, "moved_on": future, "source": "person"}
    )
    assert response.status_code == 200 and not Move.objects.exists()
    assert set(response.context["form"].errors) >= {"moved_on", "confirm"}
    # A second move while one waits is refused.
    _record(m)
    response = client.post(
        url,
        {
            "to_commune": m.world.units["c97"].pk,
            "moved_on": "2026-03-01",
            "source": "family",
            "confirm": "on",
        },
    )
    assert Move.objects.filter(person=m.person).count() == 1
    # The person page no longer offers it (one at a time) and a forged POST is refused.
    assert response.status_code == 200


def test_an_outsider_cannot_record_a_move(moving: Moving) -> None:
    """ASVS 8.2.2: a caseworker who does not see the person gets a 404 and a denial."""
    m = moving
    tuan = m.world.users["tuan"]
    before = _denials(tuan)
    response = m.world.client("tuan").post(
        reverse("cases:move_record", args=[m.person.pk]),
        {
            "to_commune": m.world.units["c2"].pk,
            "moved_on": "2026-03-01",
            "source": "police",
            "confirm": "on",
        },
    )
    assert response.status_code == 404 and _denials(tuan) == before + 1
    assert not Move.objects.exists()
    with pytest.raises(Http404):
        moves.move_record(
            actor=tuan,
            person_id=m.person.pk,
            to_commune=m.world.units["c2"],
            moved_on=datetime.date(2026, 3, 1),
            source="police",
        )
