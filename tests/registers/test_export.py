"""The register export: scope, permission, the audit of every person, the file's cells.

Actors (tests/conftest.py): lan (caseworker, clinic A, her case assigned), tuan (caseworker
at clinic B, the outsider), minh (commune officer, commune 98101), hoa (supervisor,
province 98), an (auditor), quan (administrator).
"""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from openpyxl import load_workbook

from audit.models import Event
from cases.choices import ClientCategory
from cases.models import Person
from registers import format as fmt
from registers.export import register_export
from registers.export_scope import Scope, kinds_for, scope_for
from tests.conftest import World
from tests.factories import make_case, make_person

pytestmark = pytest.mark.django_db


def _export(world: World, who: str, scope: Scope, out_format: str = "csv", **kw: Any) -> bytes:
    out = io.BytesIO()
    register_export(actor=world.users[who], scope=scope, out_format=out_format, out=out, **kw)  # type: ignore[arg-type]
    return out.getvalue()


def _csv_sheets(body: bytes) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {
            name.removesuffix(".csv"): list(csv.reader(io.StringIO(archive.read(name).decode())))
            for name in archive.namelist()
        }


def _names(body: bytes) -> set[str]:
    rows = _csv_sheets(body)[fmt.PEOPLE_CASES.key]
    column = [c.key for c in fmt.PEOPLE_CASES.columns].index("ho_ten")
    return {row[column] for row in rows[1:]}


def _commune_neighbour(world: World) -> Person:
    """A person of commune 98102 (same district as minh's commune, not his)."""
    person = make_person(
        full_name="Phạm Văn Hàng Xóm",
        residence_commune=world.units["c2"],
        registered_by=world.orgs["clinic_a"],
    )
    make_case(person=person, organisation=world.orgs["clinic_a"])
    return person


def test_a_commune_register_never_holds_another_communes_people(
    world: World, lan_person: Person, tuan_person: Person
) -> None:
    _commune_neighbour(world)
    scope = scope_for(world.users["minh"], "unit", "98101")
    names = _names(_export(world, "minh", scope))
    assert names == {"Trần Thị Bình"}


def test_a_caseload_holds_only_the_cases_assigned_to_the_user(
    world: World, lan_person: Person, tuan_person: Person
) -> None:
    unassigned = make_person(
        full_name="Đỗ Thị Chưa Giao",
        residence_commune=world.units["c1"],
        registered_by=world.orgs["clinic_a"],
    )
    make_case(person=unassigned, organisation=world.orgs["clinic_a"])
    assert _names(_export(world, "lan", Scope("caseload"))) == {"Trần Thị Bình"}
    # Her organisation's register holds the clinic's unassigned case too, never clinic B's.
    assert _names(_export(world, "lan", Scope("organisation"))) == {
        "Trần Thị Bình",
        "Đỗ Thị Chưa Giao",
    }
    assert _names(_export(world, "tuan", Scope("caseload"))) == set()


def test_a_province_register_holds_the_whole_province(
    world: World, lan_person: Person, tuan_person: Person
) -> None:
    scope = scope_for(world.users["hoa"], "unit", "98")
    assert _names(_export(world, "hoa", scope)) == {"Trần Thị Bình", "Lê Văn Cường"}


def test_a_supervisors_register_leaves_out_returned_trafficking_victims(
    world: World, lan_person: Person
) -> None:
    victim = make_person(
        full_name="Nạn Nhân Trở Về",
        residence_commune=world.units["c1"],
        registered_by=world.orgs["social"],
    )
    make_case(
        person=victim,
        organisation=world.orgs["social"],
        category=ClientCategory.TRAFFICKING_VICTIM,
    )
    scope = scope_for(world.users["hoa"], "unit", "98")
    assert _names(_export(world, "hoa", scope)) == {"Trần Thị Bình"}
    # The commune officer, whose lists show victims, exports them.
    minh_scope = scope_for(world.users["minh"], "unit", "98101")
    assert "Nạn Nhân Trở Về" in _names(_export(world, "minh", minh_scope))


@pytest.mark.parametrize("who", ["an", "quan"])
def test_a_user_without_the_export_verb_is_refused_and_logged(
    world: World, lan_person: Person, who: str
) -> None:
    """ASVS 8.2.1: an export is refused to a role without the verb, and the refusal logged."""
    assert kinds_for(world.users[who]) == []
    with pytest.raises(PermissionDenied):
        _export(world, who, Scope("caseload"))
    denial = Event.objects.get(action="denied", actor=world.users[who])
    assert denial.detail["perm"] == "register.export"
    assert not Event.objects.filter(action="register_exported").exists()


def test_a_unit_outside_the_users_scope_is_refused_and_logged(world: World) -> None:
    """ASVS 8.2.2: a commune officer asking for another commune's register gets a 404, and
    the attempt is a denial event naming the unit asked for."""
    with pytest.raises(Http404):
        scope_for(world.users["minh"], "unit", "98201")
    denial = Event.objects.get(action="denied", actor=world.users["minh"])
    assert (denial.object_type, denial.object_id) == ("administrativeunit", "98201")
    # A caseworker has no area register at all.
    with pytest.raises(Http404):
        scope_for(world.users["lan"], "unit", "981")
    assert Event.objects.filter(action="denied", actor=world.users["lan"]).count() == 1


def test_every_exported_person_is_named_by_an_audit_event(
    world: World, lan_person: Person, tuan_person: Person
) -> None:
    extra = [
        make_person(residence_commune=world.units["c4"], registered_by=world.orgs["social"])
        for _ in range(4)
    ]
    for person in extra:
        make_case(person=person, organisation=world.orgs["social"])
    scope = scope_for(world.users["hoa"], "unit", "98")
    _export(world, "hoa", scope, size=2)  # 6 people, 2 a slice: 3 events
    events = list(Event.objects.filter(action="register_exported").order_by("seq"))
    assert len(events) == 3
    named = [pk for e in events for pk in e.detail["people"]]
    expected = {str(p.pk) for p in [lan_person, tuan_person, *extra]}
    assert sorted(named) == sorted(expected)
    assert {e.detail["export"] for e in events} == {events[0].object_id}
    assert all(e.actor == world.users["hoa"] for e in events)
    assert events[0].detail["scope"] == {"kind": "unit", "unit": "98"}


def test_csv_files_start_with_a_byte_order_mark_and_neutralise_formulas(
    world: World, lan_person: Person
) -> None:
    """ASVS 1.2.10: a cell that would run as a formula in a spreadsheet is written inert."""
    lan_person.aliases = '=HYPERLINK("http://evil","x")'
    lan_person.address = "+84 thôn Một"
    lan_person.family_contact = "@mẹ"
    lan_person.save()
    body = _export(world, "lan", Scope("caseload"))
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert sorted(archive.namelist()) == sorted(f"{s.key}.csv" for s in fmt.SHEETS)
        for name in archive.namelist():
            assert archive.read(name).startswith("\ufeff".encode())
    rows = _csv_sheets(body)[fmt.PEOPLE_CASES.key]
    row = dict(zip([c.key for c in fmt.PEOPLE_CASES.columns], rows[1], strict=True))
    assert row["ten_khac"] == '\'=HYPERLINK("http://evil","x")'
    assert row["dia_chi"] == "'+84 thôn Một"
    assert row["lien_he_gia_dinh"] == "'@mẹ"
    assert row["ho_ten"] == "Trần Thị Bình"
    assert rows[0][0].lstrip("\ufeff") == fmt.PEOPLE_CASES.columns[0].vi


def test_xlsx_has_every_sheet_with_neutralised_text_and_real_dates(
    world: World, lan_person: Person
) -> None:
    lan_person.aliases = "-1+1"
    lan_person.save()
    body = _export(world, "lan", Scope("caseload"), out_format="xlsx")
    book = load_workbook(io.BytesIO(body), read_only=True)
    assert book.sheetnames == [s.vi for s in fmt.SHEETS]
    rows = list(book[fmt.PEOPLE_CASES.vi].iter_rows(values_only=True))
    row = dict(zip([c.key for c in fmt.PEOPLE_CASES.columns], rows[1], strict=True))
    assert row["ten_khac"] == "'-1+1"
    assert row["ngay_mo"].date().isoformat() == "2026-01-15"
    assert row["so_cccd"] == "010191000123"  # text, never a number losing its leading zero
