"""Open and edit cases: organisation choices come from the entry point."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseClosure, Person
from tests.conftest import World


def _case_form(world: World, **overrides: str) -> dict[str, str]:
    data = {
        "category": "post_rehab",
        "managed_record": "on",
        "status": "open",
        "opened_on": "2026-10-01",
        "closed_on": "",
        "organisation": str(world.orgs["clinic_a"].pk),
        "assigned_to": str(world.users["lan"].pk),
        "notes": "Theo dõi sau cai",
    }
    data.update(overrides)
    return data


def test_open_a_case(world: World, lan_person: Person) -> None:
    response = world.client("lan").post(
        reverse("cases:case_create", args=[lan_person.pk]), _case_form(world)
    )
    assert response.status_code == 302
    case = Case.objects.get(category="post_rehab")
    assert case.notes == "Theo dõi sau cai"
    assert case.history.get().history_user == world.users["lan"]
    page = world.client("lan").get(response["Location"]).content.decode()
    assert "Theo dõi sau cai" in page


def test_cannot_open_a_case_for_another_organisation(world: World, lan_person: Person) -> None:
    data = _case_form(world, organisation=str(world.orgs["clinic_b"].pk))
    response = world.client("lan").post(reverse("cases:case_create", args=[lan_person.pk]), data)
    assert response.status_code == 200
    assert "organisation" in response.context["form"].errors
    assert not Case.objects.filter(category="post_rehab").exists()


def test_staff_of_other_organisations_are_not_assignable(world: World, lan_person: Person) -> None:
    data = _case_form(world, assigned_to=str(world.users["tuan"].pk))
    response = world.client("lan").post(reverse("cases:case_create", args=[lan_person.pk]), data)
    assert "assigned_to" in response.context["form"].errors


def test_closing_needs_a_date_after_opening(world: World, lan_person: Person) -> None:
    """Closing is its own page since D45 (the case form refuses a status change)."""
    case = lan_person.cases.get()
    url = reverse("cases:case_close", args=[case.pk])
    client = world.client("lan")
    summary = "Theo dõi sau cai xong"
    data = {"reason": "goals_met", "closed_on": "2025-01-01", "summary": summary}
    bad = client.post(url, data)
    assert bad.status_code == 200
    assert "closed_on" in bad.context["form"].errors
    assert summary in bad.content.decode()
    good = client.post(url, data | {"closed_on": "2026-11-01"})
    assert good.status_code == 302
    closing = CaseClosure.objects.get(case=case)
    assert str(closing.closed_on) == "2026-11-01"


def test_case_list_shows_only_visible_cases(
    world: World, lan_person: Person, tuan_person: Person
) -> None:
    page = world.client("lan").get(reverse("cases:case_list")).content.decode()
    assert "Trần Thị Bình" in page
    assert "Lê Văn Cường" not in page


def _today() -> datetime.date:
    return timezone.localdate()


def test_new_case_form_defaults(world: World, lan_person: Person) -> None:
    """Opened on today; the user's only organisation chosen, with no empty choice."""
    response = world.client("lan").get(reverse("cases:case_create", args=[lan_person.pk]))
    form = response.context["form"]
    assert form["opened_on"].value() == _today()
    assert form["organisation"].value() == world.orgs["clinic_a"].pk
    page = response.content.decode()
    assert f'value="{_today():%d/%m/%Y}"' in page
    assert "---------" not in page
    organisation = page.split('name="organisation"')[1].split("</select>")[0]
    assert organisation.count("<option") == 1 and "selected" in organisation


def test_a_start_date_in_the_future_is_refused(world: World, lan_person: Person) -> None:
    tomorrow = _today() + datetime.timedelta(days=1)
    data = _case_form(world, opened_on=f"{tomorrow:%d/%m/%Y}")
    response = world.client("lan").post(reverse("cases:case_create", args=[lan_person.pk]), data)
    assert response.status_code == 200
    assert "opened_on" in response.context["form"].errors
    assert not Case.objects.filter(category="post_rehab").exists()


def test_dates_typed_as_dd_mm_yyyy_are_accepted(world: World, lan_person: Person) -> None:
    data = _case_form(world, opened_on="5/3/2026")
    response = world.client("lan").post(reverse("cases:case_create", args=[lan_person.pk]), data)
    assert response.status_code == 302
    assert Case.objects.get(category="post_rehab").opened_on == datetime.date(2026, 3, 5)
    detail = world.client("lan").get(response["Location"]).content.decode()
    assert "05/03/2026" in detail


def test_a_second_open_case_of_the_same_category_warns(world: World, lan_person: Person) -> None:
    url = reverse("cases:case_create", args=[lan_person.pk])
    client = world.client("lan")
    data = _case_form(world, category="addiction")  # lan_person has an open addiction case
    first = client.post(url, data)
    assert first.status_code == 200
    assert "confirm_second_case" in first.context["form"].errors
    assert "Theo dõi sau cai" in first.content.decode()
    assert lan_person.cases.count() == 1
    second = client.post(url, {**data, "confirm_second_case": "on"})
    assert second.status_code == 302
    assert lan_person.cases.count() == 2


def test_assigned_staff_are_shown_by_full_name(world: World, lan_person: Person) -> None:
    lan = world.users["lan"]
    lan.first_name, lan.last_name = "Nguyễn Thị", "Lan"
    lan.save()
    case = lan_person.cases.get()
    client = world.client("lan")
    assert (
        "Nguyễn Thị Lan"
        in client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    )
    assert "Nguyễn Thị Lan" in client.get(reverse("cases:case_list")).content.decode()
    form = client.get(reverse("cases:case_edit", args=[case.pk])).content.decode()
    assert "Nguyễn Thị Lan</option>" in form
