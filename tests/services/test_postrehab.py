"""Post-rehab management: a period plans its check-ins for the commune officer, who records
them; closing the period cancels what is left. Law 73/2021/QH14, art. 40.

lan (caseworker, clinic A) holds the case of a person living in commune 98101; minh is that
commune's officer; mai is lan's teammate; tuan (clinic B) the outsider; hoa the supervisor;
an the auditor.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import Event
from cases.models import Case, Person
from services import actions
from services.models import FollowUp, PostRehabPeriod
from services.models.followup import years_after
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _d(day: datetime.date | None) -> str:
    assert day is not None
    return day.strftime("%d/%m/%Y")


def _case(person: Person) -> Case:
    return Case.objects.get(person=person)


def _open(world: World, who: str, case: Case, **data: Any):  # type: ignore[no-untyped-def]
    start = timezone.localdate() - datetime.timedelta(days=40)
    values = {
        "officer": world.users["minh"].pk,
        "started_on": _d(start),
        "planned_end_on": _d(years_after(start, 1)),
        "outcome": "ongoing",
    }
    values.update(data)
    url = reverse("services:record_add", args=[case.pk, "post-rehab"])
    return world.client(who).post(url, values)


def test_opening_a_period_plans_monthly_checkins_for_the_commune_officer(
    world: World, lan_person: Person
) -> None:
    case = _case(lan_person)
    start = datetime.date(2026, 1, 31)
    response = _open(world, "lan", case, started_on="31/01/2026", planned_end_on="31/01/2027")
    assert response.status_code == 302, response.context["form"].errors
    period = PostRehabPeriod.objects.get()
    checkins = list(FollowUp.objects.filter(period=period).order_by("due_on"))
    # Monthly, month ends clamped, the last on the planned end.
    assert [c.due_on for c in checkins][:3] == [
        datetime.date(2026, 2, 28),
        datetime.date(2026, 3, 31),
        datetime.date(2026, 4, 30),
    ]
    assert len(checkins) == 12 and checkins[-1].due_on == years_after(start, 1)
    assert {c.kind for c in checkins} == {"post_rehab_checkin"}
    assert {c.responsible_id for c in checkins} == {world.users["minh"].pk}
    assert all(c.history.count() == 1 for c in checkins)
    assert Event.objects.filter(action="checkin_planned", person_id=lan_person.pk).count() == 12


def test_the_checkin_interval_is_a_setting(world: World, lan_person: Person, settings: Any) -> None:
    settings.POSTREHAB_CHECKIN_MONTHS = 3
    _open(world, "lan", _case(lan_person), started_on="01/01/2026", planned_end_on="01/01/2027")
    dues = sorted(d for d in FollowUp.objects.values_list("due_on", flat=True) if d)
    assert dues == [datetime.date(2026, m, 1) for m in (4, 7, 10)] + [datetime.date(2027, 1, 1)]


def test_minh_sees_his_overdue_checkin_on_his_start_page_and_in_the_overdue_filter(
    world: World, lan_person: Person
) -> None:
    case = _case(lan_person)
    _open(world, "lan", case)  # started 40 days ago: the first check-in is overdue
    first = FollowUp.objects.order_by("due_on").first()
    assert first is not None and first.due_on is not None
    assert first.due_on < timezone.localdate()
    case.refresh_from_db()
    assert case.next_due_on == first.due_on
    minh = world.client("minh")
    work = minh.get(reverse("cases:my_work"))
    assert [item.record.pk for item in work.context["work"].due] == [first.pk]
    assert 'class="tag warning"' in work.content.decode()
    overdue = minh.get(reverse("cases:case_list") + "?overdue=on").context["page"]
    assert [c.pk for c in overdue] == [case.pk]
    # lan is not responsible for the check-ins: they are not on her start page.
    assert world.client("lan").get(reverse("cases:my_work")).context["work"].due == []


def test_minh_records_a_checkin_with_an_encrypted_note_and_it_leaves_his_list(
    world: World, lan_person: Person
) -> None:
    _open(world, "lan", _case(lan_person))
    first = FollowUp.objects.order_by("due_on").first()
    assert first is not None
    url = reverse("services:record_edit", args=["follow-up", first.pk])
    values = {
        "kind": "post_rehab_checkin",
        "due_on": _d(first.due_on),
        "version": first.version,
        "done_on": _d(timezone.localdate()),
        "responsible": world.users["minh"].pk,
        "note": "",
    }
    minh = world.client("minh")
    refused = minh.post(url, values)
    assert refused.status_code == 200 and "note" in refused.context["form"].errors
    first.refresh_from_db()
    assert first.done_on is None
    values["note"] = "Gặp tại nhà, không tái sử dụng"
    assert minh.post(url, values).status_code == 302
    first.refresh_from_db()
    assert first.done_on == timezone.localdate() and str(first.note) == values["note"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM services_followup WHERE id = %s", [first.pk])
        (stored,) = cursor.fetchone()
    assert "tái sử dụng" not in stored
    due = minh.get(reverse("cases:my_work")).context["work"].due
    assert first.pk not in [item.record.pk for item in due]


def test_closing_the_period_cancels_the_remaining_checkins_as_a_recorded_change(
    world: World, lan_person: Person
) -> None:
    case = _case(lan_person)
    _open(world, "lan", case)
    period = PostRehabPeriod.objects.get()
    url = reverse("services:record_edit", args=["post-rehab", period.pk])
    today = timezone.localdate()
    response = world.client("minh").post(
        url,
        {
            "officer": world.users["minh"].pk,
            "started_on": _d(period.started_on),
            "planned_end_on": _d(period.planned_end_on),
            "ended_on": _d(today),
            "outcome": "relapsed",
            "version": period.version,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    checkins = FollowUp.objects.filter(period=period)
    assert checkins.count() == 12  # nothing deleted
    assert set(checkins.values_list("cancelled_on", flat=True)) == {today}
    assert all(c.history.count() == 2 and c.version == 2 for c in checkins)
    assert Event.objects.filter(action="checkin_cancelled").count() == 12
    case.refresh_from_db()
    assert case.next_due_on is None
    assert world.client("minh").get(reverse("cases:my_work")).context["work"].due == []


def test_the_officer_must_serve_the_commune_where_the_person_lives(
    world: World, lan_person: Person
) -> None:
    case = _case(lan_person)
    # lan is a caseworker: not offered, and refused when posted.
    response = _open(world, "lan", case, officer=world.users["lan"].pk)
    assert response.status_code == 200 and "officer" in response.context["form"].errors
    assert not PostRehabPeriod.objects.exists()
    # The action refuses it too, whoever builds the record.
    period = PostRehabPeriod(
        case=case,
        officer=world.users["mai"],
        started_on=timezone.localdate(),
        planned_end_on=years_after(timezone.localdate(), 1),
    )
    with pytest.raises(ValidationError, match="cấp xã"):
        actions.record_add(
            actor=world.users["lan"], record=period, checks=(actions.postrehab_check,)
        )
    assert not PostRehabPeriod.objects.exists() and not FollowUp.objects.exists()


def test_one_open_period_per_case(world: World, lan_person: Person) -> None:
    case = _case(lan_person)
    assert _open(world, "lan", case).status_code == 302
    second = _open(world, "mai", case)
    assert second.status_code == 200
    assert "kết thúc đợt đó trước" in str(second.context["form"].errors), second.context[
        "form"
    ].errors
    assert PostRehabPeriod.objects.count() == 1 and FollowUp.objects.count() == 12
    # The database refuses it as well.
    period = PostRehabPeriod.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        PostRehabPeriod.objects.create(
            case=case,
            officer=period.officer,
            started_on=period.started_on,
            planned_end_on=period.planned_end_on,
            recorded_by=world.users["lan"],
        )


@pytest.mark.parametrize(("extra_days", "accepted"), [(0, True), (1, False)])
def test_a_period_is_planned_for_two_years_at_most(
    world: World, lan_person: Person, extra_days: int, accepted: bool
) -> None:
    start = datetime.date(2026, 1, 1)
    end = years_after(start, 2) + datetime.timedelta(days=extra_days)
    response = _open(world, "lan", _case(lan_person), started_on=_d(start), planned_end_on=_d(end))
    assert (response.status_code == 302) is accepted
    assert PostRehabPeriod.objects.exists() is accepted
    if not accepted:
        assert "planned_end_on" in response.context["form"].errors
        assert response.context["form"]["planned_end_on"].value() == _d(end)  # input kept


def test_an_ended_period_needs_its_outcome_and_an_open_one_no_end(
    world: World, lan_person: Person
) -> None:
    case = _case(lan_person)
    today = _d(timezone.localdate())
    no_outcome = _open(world, "lan", case, ended_on=today, outcome="ongoing")
    assert "outcome" in no_outcome.context["form"].errors
    no_end = _open(world, "lan", case, outcome="completed")
    assert "ended_on" in no_end.context["form"].errors
    assert not PostRehabPeriod.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("lan", 302), ("mai", 302), ("minh", 302), ("tuan", 404), ("hoa", 404), ("an", 404)],
)
def test_who_may_open_a_period(world: World, lan_person: Person, who: str, status: int) -> None:
    """ASVS 8.2.2: staff outside the case (or without the verb) post a period; nothing is
    written and the refusal is recorded."""
    case = _case(lan_person)
    response = _open(world, who, case)
    assert response.status_code == status
    assert PostRehabPeriod.objects.exists() is (status == 302)
    if status == 404:
        assert not FollowUp.objects.exists()
        denial = Event.objects.get(action="denied", actor=world.users[who])
        assert denial.object_id == str(case.pk)


def test_an_outsider_cannot_mark_a_checkin_done_and_is_logged(
    world: World, lan_person: Person
) -> None:
    """ASVS 8.2.2: clinic B's caseworker posts a check-in of clinic A's case."""
    _open(world, "lan", _case(lan_person))
    first = FollowUp.objects.order_by("due_on").first()
    assert first is not None
    url = reverse("services:record_edit", args=["follow-up", first.pk])
    response = world.client("tuan").post(
        url,
        {
            "kind": "post_rehab_checkin",
            "due_on": _d(first.due_on),
            "note": "giả",
            "done_on": _d(timezone.localdate()),
            "version": first.version,
        },
    )
    assert response.status_code == 404
    first.refresh_from_db()
    assert first.done_on is None and first.version == 1
    assert Event.objects.filter(action="denied", object_id=str(first.pk)).exists()


def test_the_case_page_shows_what_happened_apart_from_the_planned_checkins(
    world: World, lan_person: Person
) -> None:
    """Issue 23 item 12: twelve future check-ins no longer top the case timeline."""
    case = _case(lan_person)
    _open(world, "lan", case)
    page = world.client("minh").get(reverse("cases:case_detail", args=[case.pk]))
    happened, planned = page.context["entries"], page.context["planned"]
    assert [str(e.kind) for e in happened] == ["Quản lý sau cai nghiện"]
    assert len(planned) == 12 and all(e.planned for e in planned)
    assert [e.on for e in planned] == sorted(e.on for e in planned)  # soonest (overdue) first
    assert planned[0].overdue
    person_page = world.client("lan").get(reverse("cases:person_detail", args=[lan_person.pk]))
    assert len(person_page.context["planned"]) == 12
    assert all(not e.planned for e in person_page.context["timeline"])


def test_minh_records_the_visit_and_only_its_date_and_note_change(
    world: World, lan_person: Person
) -> None:
    _open(world, "lan", _case(lan_person))
    first = FollowUp.objects.order_by("due_on").first()
    assert first is not None and first.due_on is not None
    due, url = first.due_on, reverse("services:followup_record", args=[first.pk])
    minh = world.client("minh")
    form = minh.get(url).context["form"]
    assert set(form.fields) == {"done_on", "note", "version"}
    assert form.initial["done_on"] == timezone.localdate()
    values = {
        "done_on": _d(timezone.localdate()),
        "note": "",
        "version": first.version,
        # Fields of the plan sent anyway (an old form, a crafted post) are not taken.
        "due_on": "01/01/2020",
        "responsible": world.users["lan"].pk,
        "kind": "other",
    }
    refused = minh.post(url, values)
    assert refused.status_code == 200 and "note" in refused.context["form"].errors
    values["note"] = "Gặp tại nhà, không tái sử dụng"
    assert minh.post(url, values).status_code == 302
    first.refresh_from_db()
    assert (first.done_on, str(first.note)) == (timezone.localdate(), values["note"])
    assert (first.due_on, first.responsible_id, first.kind) == (
        due,
        world.users["minh"].pk,
        "post_rehab_checkin",
    )
    assert Event.objects.filter(action="followup_done", object_id=str(first.pk)).count() == 1
    page = minh.get(reverse("cases:case_detail", args=[first.case_id]))
    assert [e.status for e in page.context["entries"]][0] == "Đã thực hiện"
    assert len(page.context["planned"]) == 11


def test_the_edit_form_of_a_checkin_leaves_its_plan_alone(world: World, lan_person: Person) -> None:
    _open(world, "lan", _case(lan_person))
    first = FollowUp.objects.order_by("due_on").first()
    assert first is not None
    form = (
        world.client("minh")
        .get(reverse("services:record_edit", args=["follow-up", first.pk]))
        .context["form"]
    )
    assert set(form.fields) == {"done_on", "note", "version"}


def test_an_outsider_cannot_record_a_visit_and_is_logged(world: World, lan_person: Person) -> None:
    """ASVS 8.2.2: clinic B's caseworker records a visit of clinic A's case."""
    _open(world, "lan", _case(lan_person))
    first = FollowUp.objects.order_by("due_on").first()
    assert first is not None
    response = world.client("tuan").post(
        reverse("services:followup_record", args=[first.pk]),
        {"done_on": _d(timezone.localdate()), "note": "giả", "version": first.version},
    )
    assert response.status_code == 404
    first.refresh_from_db()
    assert first.done_on is None and first.version == 1
    assert Event.objects.filter(action="denied", object_id=str(first.pk)).exists()
    assert not Event.objects.filter(action="followup_done").exists()
