"""Encrypted fields need a UUID set at construction; then rows bulk-insert like any other."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection, models
from django.test.utils import isolate_apps

from cases.models import Person
from core.checks import encrypted_fields_have_a_row_key
from core.fields import EncryptedTextField
from tests.conftest import World


def test_the_system_check_names_a_model_without_a_uuid_row_key() -> None:
    with isolate_apps("core") as isolated:

        class Note(models.Model):  # an integer key only exists after the insert
            text = EncryptedTextField()

            class Meta:
                app_label = "core"

            def __str__(self) -> str:
                return "note"

        class Keyed(models.Model):
            id = models.UUIDField(primary_key=True, default=uuid.uuid4)
            text = EncryptedTextField()

            class Meta:
                app_label = "core"

            def __str__(self) -> str:
                return "keyed"

        assert isolated is not None
        errors = encrypted_fields_have_a_row_key(isolated.get_app_configs())
    flagged = {e.obj.model.__name__ for e in errors if e.id == "core.E001"}
    assert flagged == {"Note"}


def test_the_installed_models_pass_the_check() -> None:
    assert encrypted_fields_have_a_row_key() == []


def test_people_with_encrypted_fields_bulk_insert(world: World) -> None:
    people = []
    for n in range(3):
        person = Person(
            residence_commune=world.units["c1"],
            registered_by=world.orgs["clinic_a"],
            sex="F",
            birth_year=1990,
        )
        person.full_name = f"Người Thử {n}"  # encrypted before the row exists
        person.citizen_id = f"0011900000{n:02d}"
        people.append(person)
    Person.objects.bulk_create(people, batch_size=2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT full_name FROM cases_person ORDER BY full_name")
        stored = [row[0] for row in cursor.fetchall()]
    assert all(value.startswith("v1$") for value in stored)
    found = sorted(p.full_name for p in Person.objects.filter(pk__in=[p.pk for p in people]))
    assert found == ["Người Thử 0", "Người Thử 1", "Người Thử 2"]


@pytest.mark.parametrize("row_key", ["id", "uid"])
def test_a_ciphertext_is_bound_to_the_row_key(row_key: str) -> None:
    field = EncryptedTextField(row_key=row_key)
    assert field.deconstruct()[3].get("row_key", "id") == row_key
