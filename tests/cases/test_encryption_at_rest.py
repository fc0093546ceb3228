"""What a database dump holds: ciphertext, never a plaintext identifier."""

from __future__ import annotations

import pytest
from django.db import connection

from cases.models import Person
from core.normalize import fold_text
from tests.conftest import World
from tests.factories import make_case, make_person

NAME = "Hoàng Thị Mỹ Duyên"
CITIZEN_ID = "010195004321"
PHONE = "0978123456"
ADDRESS = "Bản Nậm Thử"
NOTE = "Tái nghiện sau khi chuyển nhà"


def _all_text(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 — table name is a constant
        return "\n".join(" ".join(str(v) for v in row) for row in cursor.fetchall())


@pytest.mark.parametrize(
    "table", ["cases_person", "cases_historicalperson", "cases_case", "cases_historicalcase"]
)
def test_raw_sql_read_holds_no_plaintext(world: World, table: str) -> None:
    """ASVS 14.2.4: identifying fields are unreadable at rest, history included."""
    person = make_person(
        full_name=NAME,
        citizen_id=CITIZEN_ID,
        phone=PHONE,
        address=ADDRESS,
        sex="F",
        birth_year=1995,
        residence_commune=world.units["c1"],
        registered_by=world.orgs["clinic_a"],
    )
    case = make_case(person=person, organisation=world.orgs["clinic_a"], notes=NOTE)
    # Edit both, so history holds more than one version.
    person.phone = "0978000111"
    person.save()
    case.notes = NOTE + " lần hai"
    case.save()

    dump = _all_text(table)
    assert str(person.pk) in dump or str(case.pk) in dump  # we did read the rows
    for secret in (NAME, fold_text(NAME), "Duyên", CITIZEN_ID, PHONE, "0978000111", ADDRESS, NOTE):
        assert secret not in dump, f"{secret!r} found in {table}"
        assert secret.casefold() not in dump.casefold()


def test_history_decrypts_for_the_application(world: World) -> None:
    person = make_person(
        full_name=NAME, residence_commune=world.units["c1"], registered_by=world.orgs["clinic_a"]
    )
    person.full_name = "Hoàng Thị Duyên"
    person.save()
    names = [h.full_name for h in Person.history.filter(id=person.pk).order_by("history_date")]
    assert names == [NAME, "Hoàng Thị Duyên"]
