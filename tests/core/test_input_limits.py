"""Input limits: every encrypted text field has a length, dates a sane window, and a date
that does not exist is called that (issue 22 item 14, issue 23 item 7)."""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from cases.models import Case, Person
from core.fields import EncryptedTextField
from core.forms import DateField
from services.models import FollowUp
from tests.conftest import World

HUGE = "Nguyễn Văn A " * 8_000  # about 100,000 characters


def _messages(error: pytest.ExceptionInfo[ValidationError]) -> str:
    with translation.override("vi"):
        return " ".join(str(m) for m in error.value.messages)


def test_an_impossible_date_is_named_as_such() -> None:
    """A 30 February is a real-looking date that does not exist: say so, not "format"."""
    for typed in ("30/02/1990", "31/04/2026", "29/02/2025", "2026-02-30", "32/01/2026"):
        with pytest.raises(ValidationError) as error:
            DateField().clean(typed)
        assert error.value.code == "nonexistent", typed
        assert "Ngày này không tồn tại" in _messages(error)
    with pytest.raises(ValidationError) as error:
        DateField().clean("hôm qua")
    assert error.value.code == "invalid"
    assert DateField().clean("29/02/2024") == datetime.date(2024, 2, 29)


def test_an_impossible_birth_date_is_explained_on_the_form(world: World) -> None:
    data = {
        "full_name": "Giàng Thị Mỷ",
        "citizen_id": "",
        "sex": "F",
        "birth_year": "1990",
        "birth_date": "30/02/1990",
        "ethnicity": "08",
        "residence_commune": str(world.units["c1"].pk),
    }
    response = world.client("lan").post(reverse("cases:person_create"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ngày này không tồn tại" in page
    assert 'value="30/02/1990"' in page
    assert not Person.objects.exists()


def test_dates_far_in_the_future_are_refused() -> None:
    """ASVS 2.2.1: a due date in the year 9999 is a typo, not a plan."""
    today = timezone.localdate()
    for typed in ("31/12/9999", "9999-12-31", f"01/01/{today.year + 11}"):
        with pytest.raises(ValidationError) as error:
            DateField().clean(typed)
        assert error.value.code == "too_far", typed
        assert "năm" in _messages(error)
    soon = today + datetime.timedelta(days=365 * 2)
    assert DateField().clean(soon.strftime("%d/%m/%Y")) == soon


def test_a_due_date_in_the_year_9999_is_a_form_error(world: World, lan_person: Person) -> None:
    case = Case.objects.get(person=lan_person)
    data = {
        "kind": "other",
        "due_on": "31/12/9999",
        "done_on": "",
        "responsible": str(world.users["lan"].pk),
        "note": "Gọi điện",
    }
    url = reverse("services:record_add", args=[case.pk, "follow-up"])
    response = world.client("lan").post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors["due_on"]
    assert not FollowUp.objects.exists()


def _encrypted_fields() -> list[EncryptedTextField]:
    return [
        field
        for model in apps.get_models()
        if not model._meta.label_lower.split(".")[-1].startswith("historical")
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


# Encrypted fields no one types into: written by the system, never editable in a form; their
# limit is higher than a typed text's but still there.
SYSTEM_WRITTEN = {
    "reports.reportfile.body": "a figures report file the worker writes (base64, D38)",
    "registers.registerimport.report": "an import's problems and candidate matches, written "
    "by the import task (D39)",
}


def test_every_encrypted_field_has_a_length_limit() -> None:
    """ASVS 2.2.1: no encrypted text is unbounded, in the model and in its form field."""
    fields = _encrypted_fields()
    assert fields
    for field in fields:
        assert field.max_length is not None, field.label
        if field.label in SYSTEM_WRITTEN:
            assert not field.editable and field.max_length <= 100_000_000, field.label
        else:
            assert field.max_length <= 20_000, field.label
        formfield = field.formfield()
        assert formfield is not None
        assert getattr(formfield, "max_length", None) == field.max_length, field.label
    limits = {f.label: int(f.max_length or 0) for f in fields}
    assert limits["cases.person.full_name"] <= 200
    assert limits["cases.person.citizen_id"] <= 20
    assert limits["cases.person.phone"] <= 30
    assert limits["cases.case.notes"] <= 5_000


def test_a_huge_name_is_refused_by_the_model(world: World) -> None:
    person = Person(full_name=HUGE, sex="F", birth_year=1990)
    with pytest.raises(ValidationError) as error:
        person.full_clean()
    assert "full_name" in error.value.message_dict


def test_a_huge_name_is_a_form_error_and_not_stored(world: World) -> None:
    """ASVS 2.2.1: a 100,000-character name is refused with a message, not stored."""
    data = {
        "full_name": HUGE,
        "sex": "F",
        "birth_year": "1990",
        "ethnicity": "08",
        "residence_commune": str(world.units["c1"].pk),
    }
    response = world.client("lan").post(reverse("cases:person_create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["full_name"]
    assert not Person.objects.exists()


def test_huge_case_notes_are_a_form_error(world: World, lan_person: Person) -> None:
    case = Case.objects.get(person=lan_person)
    data = {
        "category": "addiction",
        "managed_record": "on",
        "status": "open",
        "opened_on": "01/10/2026",
        "closed_on": "",
        "organisation": str(world.orgs["clinic_a"].pk),
        "assigned_to": str(world.users["lan"].pk),
        "notes": "x" * 100_000,
        "version": str(case.version),
    }
    response = world.client("lan").post(reverse("cases:case_edit", args=[case.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors["notes"]
    case.refresh_from_db()
    assert len(case.notes) < 1000
