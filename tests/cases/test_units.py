"""Administrative units: both tree shapes, one-query subtree scoping, CSV loading."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import AdministrativeUnit, Person
from cases.units import units_load_csv
from tests.conftest import World
from tests.factories import make_person

CSV = """code,name,level,parent_code
50,Tỉnh CSV,province,
50001,Xã Hai Cấp,commune,50
501,Huyện Ba Cấp,district,50
50101,Xã Dưới Huyện,commune,501
"""


def test_csv_loads_both_tree_shapes(db: None) -> None:
    assert units_load_csv(io.StringIO(CSV)) == 4
    assert AdministrativeUnit.objects.get(code="50001").path == "/50/50001/"
    assert AdministrativeUnit.objects.get(code="50101").path == "/50/501/50101/"
    # Loading again updates in place.
    assert units_load_csv(io.StringIO(CSV.replace("Xã Hai Cấp", "Phường Hai Cấp"))) == 4
    assert AdministrativeUnit.objects.get(code="50001").name == "Phường Hai Cấp"


def test_bad_csv_reports_every_line_and_loads_nothing(db: None) -> None:
    bad = CSV + "50102,,commune,501\n50103,Xã Lạc,hamlet,501\n50104,Xã Mồ Côi,commune,599\n"
    with pytest.raises(ValidationError) as raised:
        units_load_csv(io.StringIO(bad))
    messages = raised.value.messages
    assert any(m.startswith("line 6:") for m in messages)
    assert any(m.startswith("line 7:") and "level" in m for m in messages)
    assert any(m.startswith("line 8:") and "599" in m for m in messages)
    assert AdministrativeUnit.objects.count() == 0


def test_commune_cannot_be_a_root_nor_sit_under_a_commune(db: None) -> None:
    units_load_csv(io.StringIO(CSV))
    with pytest.raises(ValidationError, match="line 2"):
        units_load_csv(io.StringIO("code,name,level,parent_code\n50199,Xã Con,commune,50101\n"))


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
    d1.save()
    assert AdministrativeUnit.objects.get(code="98101").path == "/981/98101/"
