"""Field encryption: binding to row and field, tampering, fail-closed decryption."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from cases.models import Person
from core import crypto
from core.crypto import DecryptionError
from tests.conftest import World
from tests.factories import make_person


def test_round_trip_and_randomised_nonce() -> None:
    row = str(uuid.uuid4())
    first = crypto.encrypt("Nguyễn Văn A", label="cases.person.full_name", row_id=row)
    second = crypto.encrypt("Nguyễn Văn A", label="cases.person.full_name", row_id=row)
    assert first != second
    assert first.startswith("v1$demo1$")
    assert crypto.decrypt(first, label="cases.person.full_name", row_id=row) == "Nguyễn Văn A"


def test_length_is_padded_so_similar_names_look_alike() -> None:
    row = str(uuid.uuid4())
    short = crypto.encrypt("Lò A", label="x.y.z", row_id=row)
    longer = crypto.encrypt("Lò Văn An", label="x.y.z", row_id=row)
    assert len(short) == len(longer)


@pytest.mark.parametrize(
    ("label", "row_change"),
    [("cases.person.phone", False), ("cases.person.full_name", True)],
    ids=["other-field", "other-row"],
)
def test_ciphertext_does_not_decrypt_elsewhere(label: str, row_change: bool) -> None:
    """ASVS 11.3.3: authenticated encryption bound to its context."""
    row = str(uuid.uuid4())
    sealed = crypto.encrypt("0912345678", label="cases.person.full_name", row_id=row)
    other_row = str(uuid.uuid4()) if row_change else row
    with pytest.raises(DecryptionError):
        crypto.decrypt(sealed, label=label, row_id=other_row)


@pytest.mark.parametrize("mangle", ["flip", "truncate", "garbage", "unknown-key"])
def test_tampered_ciphertext_fails_closed(mangle: str) -> None:
    row = str(uuid.uuid4())
    sealed = crypto.encrypt("010190000001", label="a.b.c", row_id=row)
    version, kid, body = sealed.split("$")
    bad = {
        "flip": f"{version}${kid}${body[:-3]}{'A' if body[-3] != 'A' else 'B'}{body[-2:]}",
        "truncate": f"{version}${kid}${body[:10]}",
        "garbage": "010190000001",
        "unknown-key": f"{version}$gone${body}",
    }[mangle]
    with pytest.raises(DecryptionError):
        crypto.decrypt(bad, label="a.b.c", row_id=row)


def test_ciphertext_swapped_between_rows_fails_loudly(world: World) -> None:
    """ASVS 11.3.3: a value copied into another record by SQL does not decrypt there."""
    alice = make_person(
        full_name="Phạm Thị Hoa",
        residence_commune=world.units["c1"],
        registered_by=world.orgs["clinic_a"],
    )
    bob = make_person(
        full_name="Đỗ Văn Nam",
        residence_commune=world.units["c1"],
        registered_by=world.orgs["clinic_a"],
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_person SET full_name = (SELECT full_name FROM cases_person WHERE id = %s)"
            " WHERE id = %s",
            [alice.pk, bob.pk],
        )
    reloaded = Person.objects.get(pk=bob.pk)
    with pytest.raises(DecryptionError):
        _ = reloaded.full_name
    # The intact row still decrypts: the failure is the swap, not the table.
    assert Person.objects.get(pk=alice.pk).full_name == "Phạm Thị Hoa"


def test_ciphertext_swapped_between_fields_fails_loudly(world: World) -> None:
    person = make_person(
        full_name="Vũ Thị Lan",
        phone="0900000001",
        residence_commune=world.units["c1"],
        registered_by=world.orgs["clinic_a"],
    )
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_person SET phone = full_name WHERE id = %s", [person.pk])
    with pytest.raises(DecryptionError):
        _ = Person.objects.get(pk=person.pk).phone


def test_plaintext_cannot_be_queried_or_written_raw(world: World) -> None:
    with pytest.raises(TypeError, match="encrypted"):
        list(Person.objects.filter(full_name="Vũ Thị Lan"))
