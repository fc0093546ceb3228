"""Administrative units: both tree shapes, one-query subtree scoping, CSV loading."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.models import Event
from cases import directory
from cases.models import AdministrativeUnit, Person
from cases.units import ReorganisationRefused, units_load_csv
from tests.conftest import World
from tests.factories import make_person

OPERATOR = "ops-thu"
CSV = """code,name,level,parent_code
50,Tỉnh CSV,province,
50001,Xã Hai Cấp,commune,50
501,Huyện Ba Cấp,district,50
50101,Xã Dưới Huyện,commune,501
"""


def test_csv_loads_both_tree_shapes(db: None) -> None:
    assert len(units_load_csv(handle=io.StringIO(CSV), by=OPERATOR).added) == 4
    assert AdministrativeUnit.objects.get(code="50001").path == "/50/50001/"
    assert AdministrativeUnit.objects.get(code="50101").path == "/50/501/50101/"
    # Loading again changes nothing.
    again = units_load_csv(handle=io.StringIO(CSV), by=OPERATOR)
    assert (len(again.added), again.unchanged) == (0, 4)
    assert AdministrativeUnit.objects.count() == 4


def test_bad_csv_reports_every_line_and_loads_nothing(db: None) -> None:
    bad = CSV + "50102,,commune,501\n50103,Xã Lạc,hamlet,501\n50104,Xã Mồ Côi,commune,599\n"
    with pytest.raises(ValidationError) as raised:
        units_load_csv(handle=io.StringIO(bad), by=OPERATOR)
    messages = raised.value.messages
    assert any(m.startswith("line 6:") for m in messages)
    assert any(m.startswith("line 7:") and "level" in m for m in messages)
    assert any(m.startswith("line 8:") and "599" in m for m in messages)
    assert AdministrativeUnit.objects.count() == 0


def test_commune_cannot_be_a_root_nor_sit_under_a_commune(db: None) -> None:
    units_load_csv(handle=io.StringIO(CSV), by=OPERATOR)
    with pytest.raises(ValidationError, match="line 2"):
        units_load_csv(
            handle=io.StringIO("code,name,level,parent_code\n50199,Xã Con,commune,50101\n"),
            by=OPERATOR,
        )


def test_subtree_scoping_is_one_query(world: World) -> None:
    for unit in ("c1", "c2", "c3", "c4"):
        make_person(
            citizen_id="", residence_commune=world.units[unit], registered_by=world.orgs["social"]
        )
    district = world.units["d1"]
    with CaptureQueriesContext(connection) as queries:
        count = Person.objects.filter(district.subtree_q("residence_commune__")).count()
    assert count == 2
    assert len(queries) == 1
    assert "LIKE" in queries[0]["sql"]


def test_prefix_index_exists_on_postgresql(world: World) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'unit_path_prefix'")
        (definition,) = cursor.fetchone()
    assert "varchar_pattern_ops" in definition


def test_moving_a_unit_rewrites_the_paths_below(world: World) -> None:
    d1 = world.units["d1"]
    d1.parent = None
    d1.level = "province"
    d1.code = "981"
    directory.unit_save(actor=None, unit=d1)  # the system: no second person
    assert AdministrativeUnit.objects.get(code="98101").path == "/981/98101/"


# ── Codes are letters and digits only; moves by a data load are on the record ─────────────


@pytest.mark.parametrize("code", ["98/1", "98%", "98_1", "98 1", "9８", "", "98.1"])
def test_a_unit_code_outside_ascii_letters_and_digits_is_refused(world: World, code: str) -> None:
    """ASVS 2.2.1: a code holding '/' (or a LIKE wildcard) would break path scoping.

    "98/1" under province 98 would get the path /98/98/1/ and fall inside the subtree of a
    unit coded 98 below it; the form, the loader and the database all refuse it.
    """
    province = world.units["province"]
    unit = AdministrativeUnit(code=code, name="Xã Lạ", level="commune", parent=province)
    with pytest.raises(ValidationError) as raised:
        unit.full_clean(exclude=["path"])
    assert "code" in raised.value.message_dict

    before = AdministrativeUnit.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        AdministrativeUnit.objects.create(code=code, name="Xã Lạ", level="commune", parent=province)
    assert AdministrativeUnit.objects.count() == before


def test_the_loader_reports_the_line_of_a_bad_code_and_loads_nothing(db: None) -> None:
    """ASVS 2.2.1: a bad code in a CSV is named by line; nothing of the file is loaded."""
    bad = CSV + "501/02,Xã Gạch Chéo,commune,501\n"
    with pytest.raises(ValidationError) as raised:
        units_load_csv(handle=io.StringIO(bad), by=OPERATOR)
    assert any(m.startswith("line 6:") and "501/02" in m for m in raised.value.messages)
    assert AdministrativeUnit.objects.count() == 0


def test_a_load_never_moves_a_unit(db: None) -> None:
    """ASVS 8.2.1: a load that would move a unit (and so change who sees the people below
    it) is refused and writes nothing; moves are the reorganisation's or a second
    administrator's (D43)."""
    units_load_csv(handle=io.StringIO(CSV), by=OPERATOR)
    before = Event.objects.count()
    moved = "code,name,level,parent_code\n50101,Xã Dưới Huyện,commune,50\n"
    with pytest.raises(ReorganisationRefused) as raised:
        units_load_csv(handle=io.StringIO(moved), by=OPERATOR)
    assert "moved" in raised.value.messages[0] and "line 2: 50101" in raised.value.messages[0]
    assert "reorganise_units" in raised.value.messages[-1]
    assert AdministrativeUnit.objects.get(code="50101").path == "/50/501/50101/"
    assert Event.objects.count() == before
