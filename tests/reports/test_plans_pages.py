"""The plan pages: supervisors enter plans and targets within their area, with history and
events; a stale form is refused; another area's plan is a 404 and a recorded denial."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import User
from audit.models import Event
from cases.events import CaseAction
from cases.models import AdministrativeUnit
from core.navigation import menu_for
from reports.events import PlanAction
from reports.models import Plan, Target
from tests.conftest import World, signed_in_client
from tests.reports.plan_fixtures import COUNT, SHARE, make_plan, make_target

pytestmark = pytest.mark.usefixtures("indicators")


def _target_data(world: World, **changes: Any) -> dict[str, str]:
    data = {
        "indicator": SHARE,
        "unit": str(world.units["province"].pk),
        "year": "2025",
        "comparison": "at_least",
        "value": "70",
        "kind": "share",
        "clause": "2.3",
        "note": "Người nghiện có hồ sơ quản lý được điều trị",
    }
    data.update(changes)
    return data


def _events(action: str, **filters: Any) -> list[Event]:
    return list(Event.objects.filter(action=action, **filters))


def test_the_list_shows_the_plans_of_the_area_and_above(
    world: World, binh: User, far_province: AdministrativeUnit
) -> None:
    province = make_plan(world.units["province"])
    district = make_plan(world.units["d1"], number="7/KH-UBND")
    other_district = make_plan(world.units["d2"], number="8/KH-UBND")
    far = make_plan(far_province, number="99/KH-UBND")
    listed = set(world.client("hoa").get(reverse("reports:plan_list")).context["plans"])
    assert listed == {province, district, other_district}
    # The district supervisor: their district's plan and the province's above it (read only).
    response = signed_in_client(binh).get(reverse("reports:plan_list"))
    assert set(response.context["plans"]) == {province, district}
    assert response.context["changeable"] == {district.pk}
    assert far not in response.context["plans"]


def test_a_supervisor_adds_a_plan_with_history_and_an_event(world: World) -> None:
    data = {
        "number": "30/KH-UBND",
        "issuer": "UBND tỉnh Kiểm Thử",
        "title": "Kế hoạch thử",
        "unit": str(world.units["province"].pk),
        "issued_on": "15/02/2025",
        "first_year": "2025",
        "last_year": "2026",
    }
    response = world.client("hoa").post(reverse("reports:plan_add"), data)
    plan = Plan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:plan_detail", args=[plan.pk])
    assert (plan.issued_on, plan.first_year, plan.last_year) == (
        datetime.date(2025, 2, 15),
        2025,
        2026,
    )
    assert plan.history.get().history_user == world.users["hoa"]
    assert len(_events(PlanAction.PLAN_ADDED, object_id=str(plan.pk))) == 1


def test_editing_a_target_keeps_history_and_records_an_event(world: World) -> None:
    plan = make_plan(world.units["province"])
    target = make_target(plan)
    client = world.client("hoa")
    url = reverse("reports:target_edit", args=[target.pk])
    form = client.get(url).context["form"]
    assert form["value"].value() in ("70", Decimal("70"))
    response = client.post(url, _target_data(world, value="75,5", version="1"))
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.value, target.version) == (Decimal("75.50"), 2)
    rows = list(target.history.order_by("history_date"))
    assert [r.value for r in rows] == [Decimal("70.00"), Decimal("75.50")]
    assert rows[-1].history_user == world.users["hoa"]
    [event] = _events(PlanAction.TARGET_CHANGED, object_id=str(target.pk))
    assert event.actor == world.users["hoa"]
    assert event.detail["value"] == "75.50" and event.detail["indicator"] == SHARE


def test_a_stale_target_form_is_refused_and_the_input_kept(world: World) -> None:
    """Two supervisors edit the same target: the second save is refused, nothing is lost."""
    plan = make_plan(world.units["province"])
    target = make_target(plan)
    url = reverse("reports:target_edit", args=[target.pk])
    client = world.client("hoa")
    assert client.post(url, _target_data(world, value="72", version="1")).status_code == 302
    # The same user's other tab, opened at version 1, saves another value and another note.
    response = client.post(url, _target_data(world, value="90", version="1", note="Ghi chú B"))
    assert response.status_code == 200
    assert response.context["conflict"] is not None
    page = response.content.decode()
    assert 'data-testid="edit-conflict"' in page and "Ghi chú B" in page
    target.refresh_from_db()
    assert (target.value, target.version) == (Decimal("72.00"), 2)
    assert len(_events(PlanAction.TARGET_CHANGED, object_id=str(target.pk))) == 1


def test_another_provinces_plan_by_url_is_refused_and_logged(
    world: World, far_province: AdministrativeUnit
) -> None:
    """ASVS 8.2.2, 8.3.1: a plan outside the supervisor's area, named in the URL, answers 404
    (read, edit, add a target), writes nothing and leaves a denial each time."""
    far = make_plan(far_province, number="99/KH-UBND")
    far_target = make_target(far)
    client = world.client("hoa")
    for url in (
        reverse("reports:plan_detail", args=[far.pk]),
        reverse("reports:plan_edit", args=[far.pk]),
        reverse("reports:target_add", args=[far.pk]),
    ):
        assert client.get(url).status_code == 404, url
    data = _target_data(world, unit=str(far_province.pk), value="5")
    assert client.post(reverse("reports:target_add", args=[far.pk]), data).status_code == 404
    edit = reverse("reports:target_edit", args=[far_target.pk])
    assert client.post(edit, {**data, "version": "1"}).status_code == 404
    remove = reverse("reports:target_remove", args=[far_target.pk])
    assert client.post(remove, {"version": "1"}).status_code == 404
    assert list(far.targets.values_list("value", flat=True)) == [Decimal("70.00")]
    hoa = world.users["hoa"]
    assert (
        Event.objects.filter(
            action=CaseAction.DENIED, actor=hoa, object_type="plan", object_id=str(far.pk)
        ).count()
        == 4
    )
    assert (
        Event.objects.filter(
            action=CaseAction.DENIED, actor=hoa, object_type="target", object_id=str(far_target.pk)
        ).count()
        == 2
    )


def test_a_district_supervisor_cannot_set_the_provinces_targets(world: World, binh: User) -> None:
    """ASVS 8.2.2: the district supervisor reads the province's plan but a forged POST to add
    or change one of its targets is a 404 and a denial; their own district's plan is theirs."""
    province = make_plan(world.units["province"])
    target = make_target(province)
    client = signed_in_client(binh)
    page = client.get(reverse("reports:plan_detail", args=[province.pk]))
    assert page.status_code == 200 and not page.context["may_change"]
    add = reverse("reports:target_add", args=[province.pk])
    data = _target_data(world, unit=str(world.units["d1"].pk), value="10")
    assert client.post(add, data).status_code == 404
    edit = reverse("reports:target_edit", args=[target.pk])
    assert client.post(edit, {**data, "version": "1"}).status_code == 404
    assert list(Target.objects.values_list("value", flat=True)) == [Decimal("70.00")]
    denials = Event.objects.filter(action=CaseAction.DENIED, actor=binh)
    assert {(e.object_type, e.object_id) for e in denials} == {
        ("plan", str(province.pk)),
        ("target", str(target.pk)),
    }
    # A plan for the province (a forged unit id) is refused too.
    plan_data = {
        "number": "1/KH-UBND",
        "issuer": "UBND huyện",
        "unit": str(world.units["province"].pk),
        "first_year": "2025",
        "last_year": "2025",
    }
    response = client.post(reverse("reports:plan_add"), plan_data)
    assert response.status_code == 200 and "unit" in response.context["form"].errors
    assert not Plan.objects.filter(number="1/KH-UBND").exists()
    # Their own district's plan: they add a target for one of its communes.
    own = make_plan(world.units["d1"], number="7/KH-UBND")
    data = _target_data(world, unit=str(world.units["c1"].pk), value="85")
    response = client.post(reverse("reports:target_add", args=[own.pk]), data)
    assert response.status_code == 302
    assert own.targets.get().unit == world.units["c1"]


def test_bad_input_is_explained_and_kept(world: World) -> None:
    plan = make_plan(world.units["province"])
    client = world.client("hoa")
    url = reverse("reports:target_add", args=[plan.pk])
    response = client.post(url, _target_data(world, value="bảy mươi", note="Ghi chú giữ lại"))
    assert response.status_code == 200
    assert "value" in response.context["form"].errors
    page = response.content.decode()
    assert 'value="bảy mươi"' in page and 'value="Ghi chú giữ lại"' in page
    # A share above 100%, a year outside the plan, a unit outside the plan's area.
    for field, value in (("value", "120"), ("year", "2031")):
        response = client.post(url, _target_data(world, **{field: value}))
        assert field in response.context["form"].errors, field
    sub_plan = make_plan(world.units["d1"], number="7/KH-UBND")
    response = client.post(
        reverse("reports:target_add", args=[sub_plan.pk]),
        _target_data(world, unit=str(world.units["c3"].pk)),
    )
    assert "unit" in response.context["form"].errors
    # Plan years in the wrong order.
    response = client.post(
        reverse("reports:plan_add"),
        {
            "number": "5/KH-UBND",
            "issuer": "UBND tỉnh",
            "unit": str(world.units["province"].pk),
            "first_year": "2026",
            "last_year": "2024",
        },
    )
    assert "last_year" in response.context["form"].errors
    assert 'value="5/KH-UBND"' in response.content.decode()
    assert not Target.objects.exists() and Plan.objects.count() == 2


def test_the_indicator_comes_from_the_registry(world: World) -> None:
    plan = make_plan(world.units["province"])
    client = world.client("hoa")
    url = reverse("reports:target_add", args=[plan.pk])
    choices = dict(client.get(url).context["form"].fields["indicator"].choices)
    assert SHARE in choices and COUNT in choices
    response = client.post(url, _target_data(world, indicator="NO_SUCH_CODE"))
    assert "indicator" in response.context["form"].errors
    # A count indicator takes a number of people, not a share.
    response = client.post(url, _target_data(world, indicator=COUNT, kind="share"))
    assert "kind" in response.context["form"].errors
    response = client.post(url, _target_data(world, indicator=COUNT, kind="count", value="1650"))
    assert response.status_code == 302
    assert plan.targets.get().value == Decimal("1650")


def test_removing_a_target_keeps_its_history(world: World) -> None:
    plan = make_plan(world.units["province"])
    target = make_target(plan)
    client = world.client("hoa")
    url = reverse("reports:target_remove", args=[target.pk])
    assert client.get(url).status_code == 200
    # A stale page (the target changed since) is refused.
    Target.objects.filter(pk=target.pk).update(version=2)
    assert client.post(url, {"version": "1"}).status_code == 200
    assert Target.objects.filter(pk=target.pk).exists()
    response = client.post(url, {"version": "2"})
    assert response.status_code == 302
    assert not Target.objects.filter(pk=target.pk).exists()
    removed = Target.history.filter(id=target.pk).latest("history_date")
    assert removed.history_type == "-" and removed.history_user == world.users["hoa"]
    [event] = _events(PlanAction.TARGET_REMOVED, object_id=str(target.pk))
    assert event.detail["value"] == "70.00"


@pytest.mark.parametrize("who", ["lan", "minh", "an", "quan"])
def test_other_roles_have_no_plan_pages(world: World, who: str) -> None:
    plan = make_plan(world.units["province"])
    client = world.client(who)
    for url in (reverse("reports:plan_list"), reverse("reports:plan_detail", args=[plan.pk])):
        assert client.get(url).status_code == 403
    assert "reports:plan_list" not in {link.url_name for link in menu_for(world.users[who])}


def test_supervisors_find_the_plans_in_the_menu(world: World) -> None:
    assert "reports:plan_list" in {link.url_name for link in menu_for(world.users["hoa"])}


def test_a_count_target_is_a_whole_number_of_people(world: World) -> None:
    """Found by using the form: "12,5 people" was saved as a count target. A count is
    people (docs/plans.md), so a fraction is refused with a message and the input kept."""
    plan = make_plan(world.units["province"])
    client = world.client("hoa")
    url = reverse("reports:target_add", args=[plan.pk])
    response = client.post(url, _target_data(world, indicator=COUNT, kind="count", value="12,5"))
    assert response.status_code == 200
    assert response.context["form"].errors["value"] == ["Số người phải là số nguyên."]
    assert 'value="12,5"' in response.content.decode()
    assert not Target.objects.exists()
    # A whole number, typed with a decimal comma or not, is a count.
    for typed in ("1650", "1650,00"):
        response = client.post(url, _target_data(world, indicator=COUNT, kind="count", value=typed))
        assert response.status_code == 302, typed
        Target.objects.all().delete()
