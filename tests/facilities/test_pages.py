"""The facility registry's pages: supervisors and administrators edit profiles and record
reviews within their unit's subtree, each change an event and a history row; another unit's
supervisor gets 404 and a recorded denial; the public selector shows public fields only.

hoa supervises province 98, quan administers it, lan is a caseworker (tests/conftest.py);
binh supervises district 981 only.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import Event
from cases.choices import Role
from cases.events import CaseAction
from cases.models import Organisation, OrganisationType, StaffProfile
from cases.roles import staff_profile_save
from facilities import selectors
from facilities.events import FacilityAction
from facilities.models import ChecklistVersion, ConditionReview, FacilityProfile, ReviewItem
from services.models import ServiceType
from tests.conftest import World, signed_in_client
from tests.factories import make_user

from .support import facility


@pytest.fixture
def binh(world: World) -> User:
    user = make_user("binh")
    staff_profile_save(
        actor=None,
        profile=StaffProfile(
            user=user,
            organisation=world.orgs["social"],
            role=Role.SUPERVISOR,
            scope_unit=world.units["d1"],
        ),
    )
    return user


@pytest.fixture
def rehab(world: World) -> Organisation:
    return Organisation.objects.create(
        name="Cơ sở cai nghiện Huyện Hai",
        type=OrganisationType.objects.get(code="rehab-public"),
        unit=world.units["d2"],
    )


def _profile_data(world: World, **changes: Any) -> dict[str, str]:
    data = {
        "commune": str(world.units["c3"].pk),
        "address": "Số 5 đường Hai, xã Hai Một",
        "phone": "0214 3822 111",
        "opening_hours": "24/7",
        "capacity": "120",
        "capacity_unit": "beds",
        "services": [str(ServiceType.objects.get(code="counselling").pk)],
        "services_other": "Khám sức khỏe định kỳ",
        "eligibility": "Người nghiện ma túy từ 18 tuổi",
        "licence_number": "12/QĐ-UBND",
        "licence_date": "01/03/2022",
        "published": "on",
    }
    data.update(changes)
    return data  # type: ignore[return-value]


def _denials(user: User, object_id: Any) -> int:
    return Event.objects.filter(
        action=CaseAction.DENIED, actor=user, object_id=str(object_id)
    ).count()


def test_a_supervisor_adds_a_profile_with_an_event_and_history(
    world: World, rehab: Organisation
) -> None:
    client = world.client("hoa")
    data = {**_profile_data(world), "organisation": str(rehab.pk)}
    response = client.post(reverse("facilities:facility_add"), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    profile = FacilityProfile.objects.get(organisation=rehab)
    assert (profile.capacity, profile.capacity_unit, profile.commune) == (
        120,
        "beds",
        world.units["c3"],
    )
    assert [s.code for s in profile.services.all()] == ["counselling"]
    event = Event.objects.get(action=FacilityAction.PROFILE_ADDED)
    assert event.actor == world.users["hoa"] and event.object_id == str(profile.pk)
    assert event.detail["services"] == ["counselling"]
    assert {h.history_user for h in profile.history.all()} == {world.users["hoa"]}
    assert len(selectors.facility_history(profile)) == 1  # the services' row is the same version


def test_an_edit_keeps_history_and_refuses_a_stale_version(
    world: World, rehab: Organisation
) -> None:
    profile = facility("Nhà Nhân ái", "nha-nhan-ai", world.units["c3"], capacity=None)
    url = reverse("facilities:facility_edit", args=[profile.pk])
    client = world.client("quan")  # an administrator of the province
    response = client.post(url, _profile_data(world, capacity="0", version="1"))
    assert response.status_code == 302, response.context and response.context["form"].errors
    profile.refresh_from_db()
    assert (profile.capacity, profile.version) == (0, 2)
    assert (
        Event.objects.filter(
            action=FacilityAction.PROFILE_CHANGED, actor=world.users["quan"]
        ).count()
        == 1
    )
    page = world.client("hoa").get(reverse("facilities:facility_detail", args=[profile.pk]))
    changed = page.context["history"][0]
    assert changed.who == "quan"
    assert {"Sức chứa", "Dịch vụ cung cấp", "Địa chỉ"} <= set(changed.fields)
    assert len(page.context["history"]) == 2  # created, then changed (services merged in)
    stale = client.post(url, _profile_data(world, capacity="7", version="1"))
    assert stale.status_code == 200 and stale.context["conflict"] is not None
    profile.refresh_from_db()
    assert profile.capacity == 0


def test_another_units_supervisor_gets_404_and_a_recorded_denial(world: World, binh: User) -> None:
    """ASVS 8.2.2, 8.3.1: binh (district 981) cannot read, edit or review a facility of
    district 982; each try is refused server-side with 404, leaves the row unchanged and
    leaves one denial event."""
    profile = facility("Cơ sở Hai", "rehab-public", world.units["c3"], capacity=30)
    own = facility("Cơ sở Một", "rehab-public", world.units["c1"], capacity=30)
    client = signed_in_client(binh)
    assert client.get(reverse("facilities:facility_detail", args=[own.pk])).status_code == 200
    for name in ("facility_detail", "facility_edit", "review_add"):
        before = _denials(binh, profile.pk)
        response = client.get(reverse(f"facilities:{name}", args=[profile.pk]))
        assert response.status_code == 404, name
        assert _denials(binh, profile.pk) - before == 1, name
    before = _denials(binh, profile.pk)
    response = client.post(
        reverse("facilities:facility_edit", args=[profile.pk]),
        _profile_data(world, capacity="999", version="1"),
    )
    assert response.status_code == 404
    assert _denials(binh, profile.pk) - before == 1
    profile.refresh_from_db()
    assert profile.capacity == 30
    listed = client.get(reverse("facilities:facility_list")).context["rows"]
    assert [f for f, _staying in listed] == [own]


def test_a_forged_organisation_or_commune_outside_the_area_is_refused(
    world: World, binh: User, rehab: Organisation
) -> None:
    """ASVS 8.2.2: binh may not add a profile to district 982's organisation, nor place his
    own facility in a commune of 982."""
    client = signed_in_client(binh)
    data = {**_profile_data(world), "organisation": str(rehab.pk)}
    response = client.post(reverse("facilities:facility_add"), data)
    assert response.status_code == 200 and "organisation" in response.context["form"].errors
    own = Organisation.objects.create(
        name="Cơ sở Một Một",
        type=OrganisationType.objects.get(code="rehab-public"),
        unit=world.units["d1"],
    )
    data = {**_profile_data(world, commune=str(world.units["c3"].pk)), "organisation": str(own.pk)}
    response = client.post(reverse("facilities:facility_add"), data)
    assert response.status_code == 200 and "commune" in response.context["form"].errors
    assert not FacilityProfile.objects.exists()


def test_caseworkers_and_auditors_have_no_registry(world: World) -> None:
    for who in ("lan", "minh", "an"):
        assert world.client(who).get(reverse("facilities:facility_list")).status_code == 403


def _review_data(checklist: ChecklistVersion, **changes: str) -> dict[str, str]:
    data = {
        "reviewed_on": timezone.localdate().strftime("%d/%m/%Y"),
        "reviewer": "Đoàn kiểm tra liên ngành tỉnh",
        "overall": "meets",
        "actions": "",
    }
    for item in checklist.items.all():
        data[f"item_{item.number}"] = "met"
    data.update(changes)
    return data


def test_a_review_is_recorded_with_an_answer_per_condition(world: World) -> None:
    profile = facility("Cơ sở Một", "rehab-public", world.units["c1"], capacity=30)
    checklist = ChecklistVersion.objects.get(code="nd-116-2021")
    assert checklist.items.count() == 14
    assert set(checklist.items.values_list("area", flat=True)) == {
        "location",
        "building",
        "equipment",
        "staff",
    }
    url = reverse("facilities:review_add", args=[profile.pk])
    data = _review_data(
        checklist, **{"item_4.2": "not_met", "note_4.2": "Thiếu bác sĩ"}, overall="meets"
    )
    refused = world.client("hoa").post(url, data)
    # Meeting the conditions with a condition not met is refused; the input comes back.
    assert refused.status_code == 200
    assert "Đoàn kiểm tra liên ngành tỉnh" in refused.content.decode()
    assert "Thiếu bác sĩ" in refused.content.decode()
    assert not ConditionReview.objects.exists()
    data["overall"], data["actions"] = "does_not_meet", "Tuyển bác sĩ trong 3 tháng"
    response = world.client("hoa").post(url, data)
    assert response.status_code == 302
    review = ConditionReview.objects.get()
    assert (review.overall, review.recorded_by) == ("does_not_meet", world.users["hoa"])
    answers = {a.item.number: (a.result, a.note) for a in ReviewItem.objects.filter(review=review)}
    assert len(answers) == 14 and answers["4.2"] == ("not_met", "Thiếu bác sĩ")
    event = Event.objects.get(action=FacilityAction.REVIEW_ADDED)
    assert event.detail["not_met"] == ["4.2"] and event.detail["overall"] == "does_not_meet"
    page = world.client("hoa").get(reverse("facilities:review_detail", args=[review.pk]))
    assert "Thiếu bác sĩ" in page.content.decode()


def test_a_review_in_the_future_or_without_actions_when_failing_is_refused(world: World) -> None:
    profile = facility("Cơ sở Một", "rehab-public", world.units["c1"], capacity=30)
    checklist = ChecklistVersion.objects.get(code="nd-116-2021")
    url = reverse("facilities:review_add", args=[profile.pk])
    future = (timezone.localdate() + datetime.timedelta(days=3)).strftime("%d/%m/%Y")
    response = world.client("hoa").post(url, _review_data(checklist, reviewed_on=future))
    assert response.status_code == 200 and "reviewed_on" in response.context["form"].errors
    response = world.client("hoa").post(url, _review_data(checklist, overall="does_not_meet"))
    assert response.status_code == 200 and "actions" in response.context["form"].errors
    assert not ConditionReview.objects.exists()


def test_public_facilities_give_published_public_fields_only(world: World) -> None:
    shown = facility("Nhà Nhân ái", "nha-nhan-ai", world.units["c3"], capacity=20, unit="places")
    shown.services.set([ServiceType.objects.get(code="counselling")])
    facility("Cơ sở chưa công bố", "rehab-public", world.units["c1"], published=False)
    facility("Cơ sở đã đóng", "rehab-public", world.units["c2"], active=False)
    found = selectors.public_facilities(world.units["province"])
    assert [f.public_name for f in found] == ["Nhà Nhân ái"]
    assert found[0].capacity == 20 and found[0].commune == "Xã Hai Một"
    counselling = ServiceType.objects.get(code="counselling")
    assert [(s.code, s.name_vi, s.name_en) for s in found[0].services] == [
        (counselling.code, counselling.name_vi, counselling.name_en)
    ]
    assert found[0].facility_type_code == "nha-nhan-ai"
    names = {f.name for f in dataclasses.fields(found[0])}
    assert not names & {"published", "reviews", "version", "organisation", "history"}
    assert selectors.public_facilities(world.units["d1"]) == []


def test_the_menu_shows_facilities_to_supervisors_and_administrators(world: World) -> None:
    from core.navigation import menu_for

    def names(who: str) -> list[str]:
        return [entry.url_name for entry in menu_for(world.users[who])]

    assert "facilities:facility_list" in names("hoa")
    assert "facilities:facility_list" in names("quan")
    assert "facilities:facility_list" not in names("lan")
