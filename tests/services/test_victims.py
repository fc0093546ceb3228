"""Returned victims: reception, shelter stays at a Nhà Nhân ái, support services with amounts,
reintegration visits; where the person is stays masked. lan holds the victim's case; mai is
her teammate; tuan the outsider; hoa the supervisor (reads, never unmasks); an the auditor."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import Event
from cases.models import Case, Organisation, OrganisationType, Person
from services.models import FollowUp, ServiceRecord, ServiceType, ShelterStay
from tests.conftest import World
from tests.factories import make_case

pytestmark = pytest.mark.django_db

SHELTER_NAME = "Nhà Nhân ái Bình Yên"


@pytest.fixture
def victim_case(world: World, lan_person: Person) -> Case:
    return make_case(
        person=lan_person,
        organisation=world.orgs["clinic_a"],
        category="trafficking_victim",
        assigned_to=world.users["lan"],
    )


@pytest.fixture
def shelter(world: World) -> Organisation:
    return Organisation.objects.create(
        name=SHELTER_NAME,
        type=OrganisationType.objects.get(code="nha-nhan-ai"),
        unit=world.units["province"],
    )


def _add(world: World, who: str, case: Case, slug: str, **data: Any):  # type: ignore[no-untyped-def]
    return world.client(who).post(reverse("services:record_add", args=[case.pk, slug]), data)


def _stay(world: World, case: Case, shelter: Organisation, entered: str, left: str = ""):  # type: ignore[no-untyped-def]
    return _add(world, "lan", case, "shelter", shelter=shelter.pk, entered_on=entered, left_on=left)


def _allowance(world: World, case: Case, **data: Any):  # type: ignore[no-untyped-def]
    values = {
        "service_type": ServiceType.objects.get(code="hardship_allowance").pk,
        "status": "delivered",
        "delivered_on": "02/11/2026",
        "provider": world.orgs["social"].pk,
    }
    values.update(data)
    return _add(world, "lan", case, "service", **values)


# --- shelter stays ---------------------------------------------------------------------------


def test_a_stay_is_at_a_nha_nhan_ai(world: World, victim_case: Case, shelter: Organisation) -> None:
    response = _stay(world, victim_case, world.orgs["clinic_b"], "01/10/2026")
    assert response.status_code == 200 and "shelter" in response.context["form"].errors
    assert _stay(world, victim_case, shelter, "01/10/2026").status_code == 302
    assert ShelterStay.objects.get().person_id == victim_case.person_id


@pytest.mark.parametrize(("entered", "ok"), [("09/10/2026", False), ("10/10/2026", True)])
def test_two_stays_of_one_person_may_not_overlap(
    world: World, victim_case: Case, shelter: Organisation, entered: str, ok: bool
) -> None:
    assert _stay(world, victim_case, shelter, "01/10/2026", "10/10/2026").status_code == 302
    response = _stay(world, victim_case, shelter, entered)
    assert (response.status_code == 302) is ok
    assert ShelterStay.objects.count() == (2 if ok else 1)
    if not ok:
        message = str(response.context["form"].errors)
        assert "01/10/2026" in message and "10/10/2026" in message
        assert response.context["form"]["entered_on"].value() == entered  # input kept


def test_an_open_stay_blocks_a_later_one_even_on_another_case(
    world: World, victim_case: Case, shelter: Organisation, lan_person: Person
) -> None:
    assert _stay(world, victim_case, shelter, "01/10/2026").status_code == 302
    other = make_case(
        person=lan_person,
        organisation=world.orgs["clinic_a"],
        category="trafficking_victim",
        status="open",
    )
    response = _stay(world, other, shelter, "01/11/2026")
    assert response.status_code == 200 and ShelterStay.objects.count() == 1


def test_the_database_refuses_overlapping_stays(
    world: World, victim_case: Case, shelter: Organisation
) -> None:
    lan = world.users["lan"]
    ShelterStay.objects.create(
        case=victim_case, shelter=shelter, entered_on=datetime.date(2026, 10, 1), recorded_by=lan
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ShelterStay.objects.create(
            case=victim_case,
            shelter=shelter,
            entered_on=datetime.date(2026, 10, 5),
            recorded_by=lan,
        )


# --- support services with an amount ---------------------------------------------------------


@pytest.mark.parametrize(("amount", "ok"), [("", False), ("0", False), ("1", True)])
def test_a_delivered_allowance_needs_an_amount(
    world: World, victim_case: Case, amount: str, ok: bool
) -> None:
    response = _allowance(world, victim_case, amount=amount)
    assert (response.status_code == 302) is ok
    if not ok:
        assert "amount" in response.context["form"].errors
    assert ServiceRecord.objects.exists() is ok


def test_the_amount_is_typed_and_shown_with_grouping(world: World, victim_case: Case) -> None:
    assert _allowance(world, victim_case, amount="1.500.000").status_code == 302
    record = ServiceRecord.objects.get()
    assert record.amount == 1_500_000
    lan = world.client("lan")
    detail = lan.get(reverse("services:record_detail", args=["service", record.pk])).content
    assert "1.500.000 ₫" in detail.decode()
    case_page = lan.get(reverse("cases:case_detail", args=[victim_case.pk])).content.decode()
    assert "1.500.000 ₫" in case_page


def test_a_planned_allowance_may_wait_for_its_amount_and_a_counselling_has_none(
    world: World, victim_case: Case
) -> None:
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).strftime("%d/%m/%Y")
    planned = _allowance(world, victim_case, status="planned", delivered_on="", due_on=tomorrow)
    assert planned.status_code == 302
    counselling = ServiceType.objects.get(code="counselling").pk
    response = _allowance(world, victim_case, service_type=counselling, amount="100000")
    assert "amount" in response.context["form"].errors
    assert ServiceRecord.objects.count() == 1


def test_a_planned_victim_service_is_due_on_the_caseworkers_start_page(
    world: World, victim_case: Case
) -> None:
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = _allowance(
        world, victim_case, status="planned", delivered_on="", due_on=yesterday.strftime("%d/%m/%Y")
    )
    assert response.status_code == 302
    victim_case.refresh_from_db()
    assert victim_case.next_due_on == yesterday
    lan = world.client("lan")
    home = lan.get(reverse("cases:my_work"))
    assert [i.record.pk for i in home.context["work"].due] == [ServiceRecord.objects.get().pk]
    assert "Trợ cấp khó khăn ban đầu" in home.content.decode()
    overdue = lan.get(reverse("cases:case_list") + "?overdue=on").context["page"]
    assert [c.pk for c in overdue] == [victim_case.pk]


# --- reintegration visits --------------------------------------------------------------------


def test_reintegration_visits_are_planned_on_a_victims_case_only(
    world: World, victim_case: Case, lan_person: Person
) -> None:
    due = (timezone.localdate() + datetime.timedelta(days=3)).strftime("%d/%m/%Y")
    visit = {"kind": "reintegration_visit", "due_on": due, "responsible": world.users["lan"].pk}
    assert _add(world, "lan", victim_case, "follow-up", **visit).status_code == 302
    assert FollowUp.objects.get().kind == "reintegration_visit"
    drug_case = Case.objects.get(person=lan_person, category="addiction")
    refused = _add(world, "lan", drug_case, "follow-up", **visit)
    assert "kind" in refused.context["form"].errors
    # Check-ins come from a post-rehab period only.
    checkin = _add(world, "lan", drug_case, "follow-up", **{**visit, "kind": "post_rehab_checkin"})
    assert "kind" in checkin.context["form"].errors
    assert FollowUp.objects.count() == 1


# --- masking: nothing unmasked in the timeline, lists, history ---------------------------------


def test_the_shelter_is_masked_everywhere_until_revealed(
    world: World, victim_case: Case, shelter: Organisation, lan_person: Person
) -> None:
    """ASVS 8.2.3: where a returned victim stays is not shown on the timeline, the case and
    person pages, the history page or the start page; the record page masks it until a user
    who may change the case asks, and that is recorded."""
    assert _stay(world, victim_case, shelter, "01/10/2026").status_code == 302
    stay = ShelterStay.objects.get()
    lan, hoa = world.client("lan"), world.client("hoa")
    pages = [
        reverse("cases:case_detail", args=[victim_case.pk]),
        reverse("cases:person_detail", args=[lan_person.pk]),
        reverse("cases:person_history", args=[lan_person.pk]),
    ]
    for client in (lan, hoa):
        for url in pages:
            page = client.get(url).content.decode()
            assert SHELTER_NAME not in page, url
    assert SHELTER_NAME not in lan.get(reverse("cases:my_work")).content.decode()
    detail = reverse("services:record_detail", args=["shelter", stay.pk])
    assert SHELTER_NAME not in lan.get(detail).content.decode()
    assert SHELTER_NAME in lan.post(detail).content.decode()
    assert Event.objects.filter(action="location_revealed", object_id=str(stay.pk)).count() == 1
    # The supervisor reads the record but may not unmask it; the attempt is a denial.
    assert SHELTER_NAME not in hoa.get(detail).content.decode()
    assert hoa.post(detail).status_code == 404
    assert Event.objects.filter(action="denied", actor=world.users["hoa"]).exists()


def test_reception_details_never_reach_the_timeline_or_history(
    world: World, victim_case: Case, lan_person: Person
) -> None:
    response = _add(
        world,
        "lan",
        victim_case,
        "reception",
        received_on="01/10/2026",
        place="Cửa khẩu Thử Nghiệm",
        receiving_agency=world.orgs["social"].pk,
        identification_status="identified",
        current_address="Thôn Bí Mật",
        contact="0912999888",
    )
    assert response.status_code == 302, response.context["form"].errors
    lan = world.client("lan")
    for url in (
        reverse("cases:case_detail", args=[victim_case.pk]),
        reverse("cases:person_detail", args=[lan_person.pk]),
        reverse("cases:person_history", args=[lan_person.pk]),
    ):
        page = lan.get(url).content.decode()
        for secret in ("Cửa khẩu Thử Nghiệm", "Thôn Bí Mật", "0912999888"):
            assert secret not in page, (url, secret)


def test_opening_the_reception_edit_form_is_a_recorded_reveal(
    world: World, victim_case: Case
) -> None:
    """ASVS 16.2.1 / 8.2.3: the edit form shows the masked place, address and contact (it
    must, to edit them), so opening it is a reveal: a ``location_revealed`` event naming the
    record and the person, as the record page's "show" button records; the page says so."""
    from services.models import Reception

    response = _add(
        world,
        "lan",
        victim_case,
        "reception",
        received_on="01/10/2026",
        place="Cửa khẩu Thử Nghiệm",
        receiving_agency=world.orgs["social"].pk,
        identification_status="identified",
        current_address="Thôn Bí Mật",
        contact="0912999888",
    )
    assert response.status_code == 302, response.context["form"].errors
    reception = Reception.objects.get()
    revealed = Event.objects.filter(action="location_revealed", object_id=str(reception.pk))
    assert not revealed.exists()
    edit = reverse("services:record_edit", args=["reception", reception.pk])
    page = world.client("mai").get(edit)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Thôn Bí Mật" in html  # prefilled, to be edited
    event = revealed.get()
    assert event.actor == world.users["mai"]
    assert event.person_id == victim_case.person_id
    assert event.detail.get("via") == "edit_form"
    assert "Mở trang sửa đã hiện địa điểm và địa chỉ được che; việc này được ghi lại." in html
    # A supervisor may not edit (nor unmask): refused, logged, nothing revealed.
    assert world.client("hoa").get(edit).status_code == 404
    assert revealed.count() == 1


@pytest.mark.parametrize(
    ("who", "status"), [("lan", 302), ("mai", 302), ("tuan", 404), ("hoa", 404), ("an", 404)]
)
def test_who_may_record_a_shelter_stay(
    world: World, victim_case: Case, shelter: Organisation, who: str, status: int
) -> None:
    """ASVS 8.2.2: an outsider's POST writes nothing and is recorded as a denial."""
    response = _add(world, who, victim_case, "shelter", shelter=shelter.pk, entered_on="01/10/2026")
    assert response.status_code == status
    assert ShelterStay.objects.exists() is (status == 302)
    if status == 404:
        denial = Event.objects.get(action="denied", actor=world.users[who])
        assert denial.object_id == str(victim_case.pk)
