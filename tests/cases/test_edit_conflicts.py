"""Two people editing the same record: the second save is refused, nothing is lost silently."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from audit.models import Event
from cases import actions
from cases.events import CaseAction
from cases.models import Case, Person
from core.editing import OVERRIDE, EditConflict
from tests.conftest import World


def _form_data(response: Any) -> dict[str, Any]:
    """Return what the browser would post back: the rendered form's values."""
    form = response.context["form"]
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        shown = field.widget.format_value(value)
        if shown is not None:
            data[name] = shown
    return data


def _open(client: Client, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200
    return _form_data(response)


def test_second_person_save_is_refused_and_both_changes_survive(
    world: World, lan_person: Person
) -> None:
    """Two sessions load the same person and change different fields."""
    url = reverse("cases:person_edit", args=[lan_person.pk])
    lan, minh = world.client("lan"), world.client("minh")
    lan_form, minh_form = _open(lan, url), _open(minh, url)
    assert lan_form["version"] == minh_form["version"] == "1"

    lan_form["phone"] = "0977000111"
    assert lan.post(url, lan_form).status_code == 302
    changes_before = Person.history.filter(id=lan_person.pk).count()
    events_before = Event.objects.filter(action=CaseAction.PERSON_CHANGED).count()

    minh_form["address"] = "Bản Mới, xã Một Một"
    refused = minh.post(url, minh_form)
    assert refused.status_code == 200
    page = refused.content.decode()
    assert 'data-testid="edit-conflict"' in page
    # Nothing of the refused save was written: no row change, no history, no event.
    lan_person.refresh_from_db()
    assert lan_person.phone == "0977000111"
    assert lan_person.address == "Thôn Thử, xã Thử"
    assert Person.history.filter(id=lan_person.pk).count() == changes_before
    assert Event.objects.filter(action=CaseAction.PERSON_CHANGED).count() == events_before
    # The page lists the other person's change, and the form holds both.
    assert "0977000111" in page
    merged = _form_data(refused)
    assert merged["phone"] == "0977000111"
    assert merged["address"] == "Bản Mới, xã Một Một"
    assert merged["version"] == "2"

    assert minh.post(url, merged).status_code == 302
    lan_person.refresh_from_db()
    assert (lan_person.phone, lan_person.address) == ("0977000111", "Bản Mới, xã Một Một")
    assert lan_person.version == 3


def test_second_case_save_is_refused_and_both_changes_survive(
    world: World, lan_person: Person
) -> None:
    case = Case.objects.get(person=lan_person)
    url = reverse("cases:case_edit", args=[case.pk])
    lan, minh = world.client("lan"), world.client("minh")
    lan_form, minh_form = _open(lan, url), _open(minh, url)

    lan_form["notes"] = "Đã gặp gia đình"
    assert lan.post(url, lan_form).status_code == 302
    minh_form["managed_record"] = ""
    del minh_form["managed_record"]  # unticked
    refused = minh.post(url, minh_form)
    assert refused.status_code == 200
    assert 'data-testid="edit-conflict"' in refused.content.decode()
    case.refresh_from_db()
    assert case.managed_record is True
    assert case.notes == "Đã gặp gia đình"

    merged = _form_data(refused)
    assert merged["notes"] == "Đã gặp gia đình"
    assert "managed_record" not in merged  # minh's change is kept
    assert minh.post(url, merged).status_code == 302
    case.refresh_from_db()
    assert (case.notes, case.managed_record, case.version) == ("Đã gặp gia đình", False, 3)


def _with_birth_date(person: Person) -> None:
    person.birth_date = "1991-03-05"  # stored as ISO text (encrypted)
    person.save()


def test_a_field_neither_side_changed_is_not_listed(world: World, lan_person: Person) -> None:
    """A stored date (ISO text) and the same date typed dd/mm/yyyy are the same value."""
    _with_birth_date(lan_person)
    url = reverse("cases:person_edit", args=[lan_person.pk])
    lan, minh = world.client("lan"), world.client("minh")
    lan_form, minh_form = _open(lan, url), _open(minh, url)
    assert minh_form["birth_date"] == "05/03/1991"
    lan_form["phone"] = "0977000111"
    assert lan.post(url, lan_form).status_code == 302
    minh_form["address"] = "Bản Mới, xã Một Một"
    refused = minh.post(url, minh_form)

    changes = refused.context["conflict"]
    assert [(c.theirs, c.clashes) for c in changes] == [("0977000111", False)]
    assert "1991-03-05" not in refused.content.decode()
    assert _form_data(refused)["birth_date"] == "05/03/1991"


def test_only_a_field_both_sides_changed_clashes_and_dates_read_dd_mm_yyyy(
    world: World, lan_person: Person
) -> None:
    _with_birth_date(lan_person)
    url = reverse("cases:person_edit", args=[lan_person.pk])
    lan, minh = world.client("lan"), world.client("minh")
    lan_form, minh_form = _open(lan, url), _open(minh, url)
    lan_form["birth_date"] = "06/03/1991"
    lan_form["aliases"] = "Bình"
    assert lan.post(url, lan_form).status_code == 302
    minh_form["birth_date"] = "07/03/1991"
    minh_form["aliases"] = "Bình"  # the same change: no clash
    refused = minh.post(url, minh_form)

    changes = {c.label: (c.theirs, c.clashes) for c in refused.context["conflict"]}
    assert changes == {
        "Tên gọi khác": ("Bình", False),
        "Ngày sinh (nếu biết)": ("06/03/1991", True),
    }
    merged = _form_data(refused)
    assert (merged["birth_date"], merged["aliases"]) == ("07/03/1991", "Bình")  # minh's kept
    page = refused.content.decode()
    assert "liệt kê ở trên" in page  # the list is above the form's error summary
    assert page.index('data-testid="edit-conflict"') < page.index('data-testid="error-summary"')


def test_a_save_without_conflict_behaves_as_before(world: World, lan_person: Person) -> None:
    url = reverse("cases:person_edit", args=[lan_person.pk])
    client = world.client("lan")
    form = _open(client, url)
    form["aliases"] = "Bình"
    assert client.post(url, form).status_code == 302
    form = _open(client, url)
    form["aliases"] = "Bình, Bé"
    assert client.post(url, form).status_code == 302
    lan_person.refresh_from_db()
    assert (lan_person.aliases, lan_person.version) == ("Bình, Bé", 3)


def test_actions_from_code_state_whether_they_override(world: World, lan_person: Person) -> None:
    lan = world.users["lan"]
    data = actions.PersonData(
        full_name=lan_person.full_name,
        citizen_id=lan_person.citizen_id,
        residence_commune=lan_person.residence_commune,
        sex=lan_person.sex,
        birth_year=lan_person.birth_year,
        phone="0966000222",
    )
    with pytest.raises(EditConflict):
        actions.person_update(actor=lan, person=lan_person, data=data, if_version=7)
    actions.person_update(actor=lan, person=lan_person, data=data, if_version=OVERRIDE)
    lan_person.refresh_from_db()
    assert lan_person.phone == "0966000222"


def test_a_form_field_cannot_be_dropped_on_the_way_to_the_action(world: World) -> None:
    """Every editable field of the forms is a field of the action's typed argument."""
    from dataclasses import fields

    from cases.forms import CaseForm, PersonForm

    person_fields = set(PersonForm(user=world.users["lan"]).fields) - {"version"}
    case_fields = set(CaseForm(user=world.users["lan"]).fields) - {"version"}
    assert person_fields == {f.name for f in fields(actions.PersonData)}
    assert case_fields == {f.name for f in fields(actions.CaseData)}


def test_another_organisation_cannot_take_a_case_by_editing_its_holder(
    world: World, lan_person: Person
) -> None:
    """ASVS 8.2.2: minh may edit clinic A's case (the person lives in his commune), but moving
    it to his own organisation needs a transfer: refused, unchanged and logged."""
    case = Case.objects.get(person=lan_person)
    url = reverse("cases:case_edit", args=[case.pk])
    minh = world.client("minh")
    form = _open(minh, url)
    form["organisation"] = str(world.orgs["commune_x"].pk)
    response = minh.post(url, form)
    assert response.status_code == 200
    assert "chuyển" in response.content.decode() or "transfer" in response.content.decode()
    case.refresh_from_db()
    assert case.organisation == world.orgs["clinic_a"]
    denial = Event.objects.get(action=CaseAction.DENIED, object_id=str(case.pk))
    assert denial.actor == world.users["minh"]
    assert denial.person_id == lan_person.pk
    assert denial.detail["perm"] == "change_holder"


def test_a_holder_change_by_the_holder_names_old_and_new(world: World, lan_person: Person) -> None:
    case = Case.objects.get(person=lan_person)
    data = actions.CaseData(
        category=case.category,
        status=case.status,
        opened_on=case.opened_on,
        organisation=world.orgs["clinic_b"],
        notes=case.notes,
    )
    actions.case_update(actor=world.users["lan"], case=case, data=data, if_version=1)
    event = Event.objects.filter(action=CaseAction.CASE_CHANGED).latest("seq")
    assert event.detail["holder"] == [
        str(world.orgs["clinic_a"].pk),
        str(world.orgs["clinic_b"].pk),
    ]


def _registration(world: World, number: str, **extra: Any) -> actions.PersonData:
    values: dict[str, Any] = {
        "full_name": "Vàng Thị Thử",
        "citizen_id": number,
        "sex": "F",
        "birth_year": 1991,
        "residence_commune": world.units["c1"],
    }
    values.update(extra)
    return actions.PersonData(**values)


def test_an_already_registered_answer_names_the_person_and_is_limited(
    world: World, lan_person: Person
) -> None:
    """ASVS 8.2.1: "already registered" reveals that a number is on file: the event names
    whom it revealed (so "who saw this person" shows it), and a user is stopped after
    repeated answers."""
    tuan = world.users["tuan"]
    for _attempt in range(actions.DUPLICATE_CHECKS_PER_HOUR):
        with pytest.raises(ValidationError):
            actions.person_register(actor=tuan, data=_registration(world, lan_person.citizen_id))
    probes = Event.objects.filter(action=CaseAction.DUPLICATE_CHECK, actor=tuan)
    assert probes.count() == actions.DUPLICATE_CHECKS_PER_HOUR
    assert {e.person_id for e in probes} == {lan_person.pk}
    with pytest.raises(ValidationError) as stopped:
        actions.person_register(actor=tuan, data=_registration(world, lan_person.citizen_id))
    assert "citizen_id" not in getattr(stopped.value, "error_dict", {})
    assert probes.count() == actions.DUPLICATE_CHECKS_PER_HOUR  # no further answer given
    assert Event.objects.filter(
        action=CaseAction.DENIED, actor=tuan, detail__reason="duplicate_check_limit"
    ).exists()


THREADS = 6


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_registrations_of_one_number_cannot_both_pass(world: World) -> None:
    start = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def register(n: int) -> None:
        try:
            start.wait()
            actions.person_register(
                actor=world.users["lan"],
                data=_registration(world, "001191000777", full_name=f"Người {n}"),
            )
            outcomes.append("saved")
        except ValidationError:
            outcomes.append("refused")
        except BaseException as exc:  # reported below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["refused"] * (THREADS - 1) + ["saved"]
    assert Person.objects.count() == 1
