"""Register, edit and view a person: the happy path, bad input kept, duplicates refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from cases.models import Person
from tests.conftest import World


def _form(world: World, **overrides: Any) -> dict[str, Any]:
    data = {
        "full_name": "Giàng Thị Mỷ",
        "aliases": "Mỷ",
        "citizen_id": "010 1 98 012345",
        "sex": "F",
        "birth_year": "1998",
        "birth_date": "1998-03-04",
        "ethnicity": "08",
        "phone": "+84 912 000 111",
        "residence_commune": str(world.units["c1"].pk),
        "address": "Bản Thử",
        "family_contact": "Mẹ: 0900 111 222",
    }
    data.update(overrides)
    return data


def test_caseworker_registers_a_person(world: World) -> None:
    response = world.client("lan").post(reverse("cases:person_create"), _form(world))
    assert response.status_code == 302
    person = Person.objects.get()
    assert response["Location"] == reverse("cases:person_detail", args=[person.pk])
    assert person.full_name == "Giàng Thị Mỷ"
    assert person.citizen_id == "010198012345"  # stored normalised
    assert person.phone == "0912000111"
    assert person.birth_date == "1998-03-04"
    assert person.registered_by == world.orgs["clinic_a"]
    assert person.history.get().history_user == world.users["lan"]
    detail = world.client("lan").get(response["Location"])
    assert "Giàng Thị Mỷ" in detail.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("citizen_id", "01019801234", "12"),
        ("citizen_id", "999198012345", "999"),
        ("phone", "12345", "0912"),
        ("birth_year", "1850", "1900"),
        ("full_name", "", ""),
    ],
)
def test_invalid_input_is_explained_and_kept(
    world: World, field: str, value: str, message: str
) -> None:
    data = _form(world, **{field: value})
    response = world.client("lan").post(reverse("cases:person_create"), data)
    assert response.status_code == 200
    assert Person.objects.count() == 0
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    page = response.content.decode()
    # Everything else the user typed is still in the form.
    assert "Bản Thử</textarea>" in page
    assert "Giàng Thị Mỷ" in page or field == "full_name"


def test_duplicate_citizen_id_is_refused(world: World, lan_person: Person) -> None:
    data = _form(world, citizen_id="010191000123", birth_year="1991", birth_date="")
    response = world.client("tuan").post(reverse("cases:person_create"), data)
    assert response.status_code == 200
    # The interface speaks Vietnamese by default.
    assert "đã được đăng ký" in " ".join(response.context["form"].errors["citizen_id"])
    assert "Trần Thị Bình" not in response.content.decode()


def test_edit_keeps_history_and_own_citizen_id(world: World, lan_person: Person) -> None:
    client = world.client("lan")
    url = reverse("cases:person_edit", args=[lan_person.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert "Trần Thị Bình" in form.content.decode()
    data = _form(
        world,
        full_name="Trần Thị Bình An",
        citizen_id="010191000123",
        birth_year="1991",
        birth_date="",
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    lan_person.refresh_from_db()
    assert lan_person.full_name == "Trần Thị Bình An"
    assert lan_person.history.count() == 2


def test_edit_with_bad_input_changes_nothing(world: World, lan_person: Person) -> None:
    url = reverse("cases:person_edit", args=[lan_person.pk])
    data = _form(world, full_name="Tên Mới", citizen_id="123")
    response = world.client("lan").post(url, data)
    assert response.status_code == 200
    assert "Tên Mới" in response.content.decode()
    assert Person.objects.get(pk=lan_person.pk).full_name == "Trần Thị Bình"


def test_commune_choices_are_limited_to_the_users_province(world: World) -> None:
    from cases.models import AdministrativeUnit

    elsewhere = AdministrativeUnit.objects.create(code="97", name="Tỉnh Khác", level="province")
    far = AdministrativeUnit.objects.create(
        code="97001", name="Xã Xa", level="commune", parent=elsewhere
    )
    response = world.client("lan").get(reverse("cases:person_create"))
    choices = response.context["form"].fields["residence_commune"].queryset
    assert world.units["c1"] in choices and far not in choices
    data = _form(world, residence_commune=str(far.pk))
    assert (
        "residence_commune"
        in world.client("lan").post(reverse("cases:person_create"), data).context["form"].errors
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"citizen_id": "010098012345"}, "sex", "4"),  # the 4th digit says male; sex is F
        ({"citizen_id": "010199012345"}, "birth_year", "1999"),  # digits 5-6 give 1999
    ],
)
def test_a_mismatch_with_the_citizen_id_is_shown_under_sex_or_year(
    world: World, overrides: dict[str, str], field: str, message: str
) -> None:
    response = world.client("lan").post(reverse("cases:person_create"), _form(world, **overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and "citizen_id" not in errors
    assert message in " ".join(errors[field])
    assert Person.objects.count() == 0


def test_every_problem_is_shown_in_one_pass_with_a_summary(world: World) -> None:
    data = _form(
        world,
        full_name="",
        phone="12345",
        old_id_number="12",
        birth_date="31/02/1998",
        citizen_id="010199012345",
    )
    response = world.client("lan").post(reverse("cases:person_create"), data)
    errors = response.context["form"].errors
    assert {"full_name", "phone", "old_id_number", "birth_date", "birth_year"} <= set(errors)
    page = response.content.decode()
    summary = page.split('data-testid="error-summary"')[1].split("</div>")[0]
    for field in ("full_name", "phone", "old_id_number", "birth_date", "birth_year"):
        assert f'href="#id_{field}"' in summary
        assert f'id="id_{field}"' in page


def test_old_identity_card_number_is_encrypted_and_searchable(world: World) -> None:
    from django.db import connection

    data = _form(world, old_id_number="012 345 678", birth_year_estimated="on")
    response = world.client("lan").post(reverse("cases:person_create"), data)
    assert response.status_code == 302
    person = Person.objects.get()
    assert person.old_id_number == "012345678"
    assert person.birth_year_estimated is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT old_id_number FROM cases_person WHERE id = %s", [person.pk])
        stored = cursor.fetchone()[0]
    assert "012345678" not in stored
    found = world.client("lan").post(
        reverse("cases:person_search"), {"kind": "old_id_number", "q": "012345678"}
    )
    assert found.context["results"] == [person]
    detail = world.client("lan").get(reverse("cases:person_detail", args=[person.pk]))
    assert "012345678" in detail.content.decode()


def test_communes_are_grouped_by_district(world: World) -> None:
    page = world.client("lan").get(reverse("cases:person_create")).content.decode()
    select = page.split('name="residence_commune"')[1].split("</select>")[0]
    assert '<optgroup label="Huyện Một">' in select
    assert '<optgroup label="Huyện Hai">' in select
    assert 'data-filter="commune"' in page.split('name="residence_commune"')[0][-400:] + select
    assert "commune-filter.js" in page


def test_the_commune_picker_handles_a_national_list(world: World) -> None:
    """10,000+ communes: one query, grouped, and the page still renders."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.models import AdministrativeUnit

    district = world.units["d1"]
    AdministrativeUnit.objects.bulk_create(
        AdministrativeUnit(
            code=f"9{n:05d}",
            name=f"Xã {n}",
            level="commune",
            parent=district,
            path=f"{district.path}9{n:05d}/",
        )
        for n in range(10_000)
    )
    client = world.client("lan")
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("cases:person_create")).content.decode()
    assert page.count("<option") > 10_000
    commune_queries = [q for q in queries if "cases_administrativeunit" in q["sql"]]
    assert len(commune_queries) <= 3


def test_the_name_tag_shows_the_record_number_without_a_viewer(
    world: World, lan_person: Person
) -> None:
    """Fail closed: a template rendered without a request (no viewer) never names anyone."""
    from django.template import Context, Template

    template = Template('{% load people %}{% person_name p %}|{% person_field p "phone" %}')
    html = template.render(Context({"p": lan_person}))
    assert lan_person.full_name not in html and lan_person.phone not in html
    assert lan_person.short_id in html
