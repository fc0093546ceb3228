"""Service records on a case: added by the owner, seen on the timeline, refused to outsiders.

lan (caseworker, clinic A) holds the case; mai is her teammate; tuan (clinic B) is the
outsider; minh (commune officer) follows the person's commune; hoa (supervisor) reads only.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import Event
from cases.models import Case, Person
from services.models import FollowUp, Reception, ServiceRecord, ServiceType
from tests.conftest import World
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def _case(person: Person) -> Case:
    return Case.objects.get(person=person)


def _post_service(world: World, who: str, case: Case, **data: str):  # type: ignore[no-untyped-def]
    service = ServiceType.objects.get(code="counselling")
    values = {"service_type": str(service.pk), "status": "planned", "due_on": "01/12/2026"}
    values.update(data)
    url = reverse("services:record_add", args=[case.pk, "service"])
    return world.client(who).post(url, values)


def test_caseworker_plans_a_service_and_sees_it_on_both_timelines(
    world: World, lan_person: Person
) -> None:
    case = _case(lan_person)
    response = _post_service(world, "lan", case, note="Gặp lúc 9 giờ")
    assert response.status_code == 302
    record = ServiceRecord.objects.get(case=case)
    assert record.recorded_by == world.users["lan"]
    assert record.responsible == world.users["lan"]  # the case's assigned staff by default
    assert str(record.note) == "Gặp lúc 9 giờ"
    event = Event.objects.filter(action="service_record_added").get()
    assert event.person_id == lan_person.pk
    assert record.history.count() == 1
    lan = world.client("lan")
    for url in (
        reverse("cases:case_detail", args=[case.pk]),
        reverse("cases:person_detail", args=[lan_person.pk]),
    ):
        page = lan.get(url).content.decode()
        assert (
            "Tư vấn" in page
            and reverse("services:record_detail", args=["service", record.pk]) in page
        )


def test_the_note_is_ciphertext_in_the_database(world: World, lan_person: Person) -> None:
    _post_service(world, "lan", _case(lan_person), note="bí mật 123")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM services_servicerecord")
        (stored,) = cursor.fetchone()
    assert "bí mật" not in stored and stored


def test_outsider_cannot_add_to_another_organisations_case_and_is_logged(
    world: World, lan_person: Person
) -> None:
    """ASVS 8.2.2: a caseworker of clinic B posts a service onto clinic A's case."""
    case = _case(lan_person)
    response = _post_service(world, "tuan", case)
    assert response.status_code == 404
    assert not ServiceRecord.objects.exists()
    denial = Event.objects.get(action="denied", actor=world.users["tuan"])
    assert denial.object_id == str(case.pk)


def test_supervisor_reads_but_cannot_add(world: World, lan_person: Person) -> None:
    case = _case(lan_person)
    _post_service(world, "lan", case)
    record = ServiceRecord.objects.get()
    hoa = world.client("hoa")
    assert (
        hoa.get(reverse("services:record_detail", args=["service", record.pk])).status_code == 200
    )
    assert _post_service(world, "hoa", case).status_code == 404
    assert ServiceRecord.objects.count() == 1
    edit = reverse("services:record_edit", args=["service", record.pk])
    assert hoa.post(edit, {"service_type": record.service_type_id}).status_code == 404


def test_outsider_cannot_read_a_record_by_url_and_is_logged(
    world: World, lan_person: Person
) -> None:
    """ASVS 8.2.2: guessing a record's URL from another clinic answers 404 and is recorded."""
    _post_service(world, "lan", _case(lan_person))
    record = ServiceRecord.objects.get()
    url = reverse("services:record_detail", args=["service", record.pk])
    assert world.client("tuan").get(url).status_code == 404
    assert Event.objects.filter(action="denied", object_id=str(record.pk)).exists()


def test_planned_service_sets_the_cases_next_due_date_and_shows_as_overdue(
    world: World, lan_person: Person
) -> None:
    case = _case(lan_person)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    _post_service(world, "lan", case, due_on=yesterday.strftime("%d/%m/%Y"))
    case.refresh_from_db()
    assert case.next_due_on == yesterday
    lan = world.client("lan")
    home = lan.get(reverse("cases:my_work")).content.decode()
    assert "Tư vấn" in home and 'class="tag warning"' in home
    overdue = lan.get(reverse("cases:case_list") + "?overdue=on").context["page"]
    assert [c.pk for c in overdue] == [case.pk]
    # Delivered: nothing is due any more, the filter lets the case go.
    record = ServiceRecord.objects.get()
    edit = reverse("services:record_edit", args=["service", record.pk])
    response = lan.post(
        edit,
        {
            "service_type": record.service_type_id,
            "status": "delivered",
            "due_on": yesterday.strftime("%d/%m/%Y"),
            "delivered_on": timezone.localdate().strftime("%d/%m/%Y"),
            "responsible": world.users["lan"].pk,
            "version": record.version,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    case.refresh_from_db()
    assert case.next_due_on is None
    assert list(lan.get(reverse("cases:case_list") + "?overdue=on").context["page"]) == []


def test_the_due_list_never_widens_scope(world: World, lan_person: Person) -> None:
    """A follow-up made tuan's responsibility does not show him a case he cannot see."""
    case = _case(lan_person)
    FollowUp.objects.create(
        case=case,
        kind="other",
        due_on=timezone.localdate(),
        responsible=world.users["tuan"],
        recorded_by=world.users["lan"],
    )
    page = world.client("tuan").get(reverse("cases:my_work"))
    assert page.context["work"].due == []


def test_invalid_input_is_kept_and_explained(world: World, lan_person: Person) -> None:
    case = _case(lan_person)
    response = _post_service(world, "lan", case, due_on="", note="giữ lại")
    assert response.status_code == 200
    assert "giữ lại" in response.content.decode()
    assert "due_on" in response.context["form"].errors
    assert not ServiceRecord.objects.exists()


def test_victim_only_kinds_are_not_offered_to_a_drug_case(world: World, lan_person: Person) -> None:
    case = _case(lan_person)
    page = world.client("lan").get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert reverse("services:record_add", args=[case.pk, "episode"]) in page
    assert reverse("services:record_add", args=[case.pk, "reception"]) not in page
    url = reverse("services:record_add", args=[case.pk, "reception"])
    assert world.client("lan").get(url).status_code == 403


def test_returnee_location_is_masked_until_revealed_and_the_reveal_is_recorded(
    world: World, lan_person: Person
) -> None:
    case = make_case(
        person=lan_person,
        organisation=world.orgs["clinic_a"],
        category="trafficking_victim",
        assigned_to=world.users["lan"],
    )
    lan = world.client("lan")
    add = reverse("services:record_add", args=[case.pk, "reception"])
    response = lan.post(
        add,
        {
            "received_on": "01/11/2026",
            "place": "Cửa khẩu Lào Cai",
            "receiving_agency": world.orgs["social"].pk,
            "identification_status": "identified",
            "current_address": "Thôn 3",
            "contact": "0912000111",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    reception = Reception.objects.get()
    url = reverse("services:record_detail", args=["reception", reception.pk])
    masked = lan.get(url).content.decode()
    assert "Cửa khẩu Lào Cai" not in masked and "0912000111" not in masked
    revealed = lan.post(url).content.decode()
    assert "Cửa khẩu Lào Cai" in revealed and "0912000111" in revealed
    assert Event.objects.filter(action="location_revealed", person_id=lan_person.pk).exists()
    # A supervisor reads the record but may not unmask it.
    hoa = world.client("hoa")
    assert "0912000111" not in hoa.get(url).content.decode()
    assert hoa.post(url).status_code == 404
    assert not Event.objects.filter(action="location_revealed", actor=world.users["hoa"]).exists()


def test_a_stale_edit_is_refused_and_both_changes_survive(world: World, lan_person: Person) -> None:
    """Two people edit one planned service: the second save is refused, nothing is lost."""
    case = _case(lan_person)
    _post_service(world, "lan", case, note="lúc 9 giờ")
    record = ServiceRecord.objects.get()
    edit = reverse("services:record_edit", args=["service", record.pk])
    base = {
        "service_type": record.service_type_id,
        "status": "planned",
        "due_on": "01/12/2026",
        "responsible": world.users["lan"].pk,
        "version": 1,
    }
    first = world.client("mai").post(edit, {**base, "note": "lúc 9 giờ", "due_on": "03/12/2026"})
    assert first.status_code == 302
    second = world.client("lan").post(edit, {**base, "note": "lúc 10 giờ"})
    assert second.status_code == 200
    assert second.context["conflict"]  # mai's change is listed
    form = second.context["form"]
    assert form["note"].value() == "lúc 10 giờ"  # lan's input kept
    assert form["due_on"].value() == "03/12/2026"  # mai's date merged in
    record.refresh_from_db()
    assert (str(record.note), record.due_on, record.version) == (
        "lúc 9 giờ",
        datetime.date(2026, 12, 3),
        2,
    )
