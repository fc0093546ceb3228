"""load_units at national size: bulk writes, history and one event per load, the refusal of
a change of map (a two-tier list onto a three-tier tree, renames, moves), and the dry run."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import Event
from bench.unit_lists import synthetic_lists, unit_lists
from cases.events import CaseAction
from cases.models import AdministrativeUnit
from cases.units import ReorganisationRefused, units_load_csv

OPERATOR = "ops-thu"
THREE_TIER = """code,name,level,parent_code
60,Tỉnh Ba Cấp,province,
601,Huyện Một,district,60
60101,Xã Một,commune,601
60102,Xã Hai,commune,601
602,Huyện Hai,district,60
60201,Xã Ba,commune,602
"""
TWO_TIER = """code,name,level,parent_code
60,Tỉnh Ba Cấp,province,
60101,Xã Một Mới,commune,60
60201,Xã Ba,commune,60
"""


def _load(text: str, *, dry_run: bool = False) -> object:
    return units_load_csv(handle=io.StringIO(text), by=OPERATOR, dry_run=dry_run)


def test_a_load_is_a_few_statements_whatever_its_size(db: None, tmp_path: Path) -> None:
    """The whole file is checked in memory and written per level: the statement count does
    not grow with the rows (it was 13 per unit), on a synthetic list of national shape."""
    lists = synthetic_lists(tmp_path, provinces=4, districts=5, communes=10)
    text = lists.three_tier.read_text(encoding="utf-8")
    with CaptureQueriesContext(connection) as first:
        plan = units_load_csv(handle=io.StringIO(text), by=OPERATOR)
    assert len(plan.added) == 4 + 4 * 5 + 4 * 5 * 10
    with CaptureQueriesContext(connection) as again:
        plan = units_load_csv(handle=io.StringIO(text), by=OPERATOR)
    assert (len(plan.added), plan.unchanged) == (0, 224)
    assert len(first) < 40, len(first)
    assert len(again) < 20, len(again)
    assert AdministrativeUnit.objects.get(code="020309").path == "/02/0203/020309/"


def test_each_new_unit_has_its_history_and_the_load_one_event(db: None) -> None:
    """ASVS 16.2.1: the bulk load keeps a history row per new unit and records one event
    per load with its counts (as the one-row-at-a-time loader did), none per row."""
    before = Event.objects.count()
    _load(THREE_TIER)
    _load(THREE_TIER)
    unit = AdministrativeUnit.objects.get(code="60201")
    (created,) = unit.history.all()
    assert (created.history_type, created.path, created.name) == ("+", "/60/602/60201/", "Xã Ba")
    events = Event.objects.order_by("seq")[before:]
    assert [e.action for e in events] == [CaseAction.DIRECTORY_CHANGED] * 2
    assert events[0].detail["added"] == 6 and events[1].detail["unchanged"] == 6
    assert events[0].detail["by"] == OPERATOR


def test_a_two_tier_list_onto_a_three_tier_tree_is_refused(db: None) -> None:
    """The 2025-07 list loaded onto the 2025-03 tree mixed the two maps silently; now it is
    refused, naming the shapes and the reorganisation command, and writes nothing."""
    _load(THREE_TIER)
    rows = list(AdministrativeUnit.objects.values_list("code", "name", "path"))
    events = Event.objects.count()
    with pytest.raises(ReorganisationRefused) as raised:
        _load(TWO_TIER)
    messages = raised.value.messages
    assert "two-tier list" in messages[0] and "three-tier tree" in messages[0]
    assert any("moved" in m and "60101" in m for m in messages)
    assert "reorganise_units" in messages[-1]
    assert list(AdministrativeUnit.objects.values_list("code", "name", "path")) == rows
    assert Event.objects.count() == events


def test_a_three_tier_list_onto_a_two_tier_tree_is_refused(db: None) -> None:
    _load(TWO_TIER)
    with pytest.raises(ReorganisationRefused) as raised:
        _load("code,name,level,parent_code\n61,Tỉnh Khác,province,\n611,Huyện,district,61\n")
    assert "three-tier list" in raised.value.messages[0]
    assert not AdministrativeUnit.objects.filter(code="61").exists()


def test_a_rename_is_refused_with_its_line(db: None) -> None:
    _load(THREE_TIER)
    with pytest.raises(ReorganisationRefused) as raised:
        _load(THREE_TIER.replace("Xã Hai,", "Phường Hai,"))
    assert "line 5: 60102 (name 'Xã Hai' → 'Phường Hai')" in raised.value.messages[0]
    assert AdministrativeUnit.objects.get(code="60102").name == "Xã Hai"


def test_a_dry_run_says_what_a_load_would_do_and_writes_nothing(db: None, tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(THREE_TIER, encoding="utf-8")
    out = io.StringIO()
    call_command("load_units", str(path), "--dry-run", stdout=out)
    assert "Dry run, nothing written" in out.getvalue()
    assert "6 new (1 provinces, 2 districts, 3 communes)" in out.getvalue()
    assert not AdministrativeUnit.objects.exists()
    assert not Event.objects.filter(action=CaseAction.DIRECTORY_CHANGED).exists()

    call_command("load_units", str(path), stdout=io.StringIO())
    path.write_text(TWO_TIER, encoding="utf-8")
    with pytest.raises(CommandError, match="reorganise_units"):
        call_command("load_units", str(path), "--dry-run", stdout=io.StringIO())


def test_duplicate_codes_and_bad_parents_are_named_by_line(db: None) -> None:
    bad = (
        THREE_TIER + "60101,Xã Trùng,commune,601\n60301,Xã Lạc,commune,60101\n62,Tỉnh,province,60\n"
    )
    with pytest.raises(Exception) as raised:
        _load(bad)
    messages = raised.value.messages  # type: ignore[attr-defined]
    assert any(m.startswith("line 8:") and "line 4" in m for m in messages)
    assert any(m.startswith("line 9:") and "cannot sit under" in m for m in messages)
    assert any(m.startswith("line 10:") and "province has no parent" in m for m in messages)
    assert not AdministrativeUnit.objects.exists()


def test_the_national_lists_load_and_reload(db: None, tmp_path: Path) -> None:
    """The published 2025-03 and 2025-07 lists (HOA_NHAP_UNITS_DATA), or synthetic lists of
    the same shape when they are absent (said in the output): each loads into an empty
    database and re-loads unchanged, and the second onto the first is refused."""
    lists = unit_lists(tmp_path)
    print(f"units lists: {lists.origin}")  # noqa: T201  (which lists the run used)
    three = lists.three_tier.read_text(encoding="utf-8-sig")
    plan = units_load_csv(handle=io.StringIO(three), by=OPERATOR)
    assert len(plan.added) == AdministrativeUnit.objects.count() > 10_000
    assert units_load_csv(handle=io.StringIO(three), by=OPERATOR).unchanged == len(plan.added)
    with pytest.raises(ReorganisationRefused):
        units_load_csv(handle=io.StringIO(lists.two_tier.read_text("utf-8-sig")), by=OPERATOR)
    if lists.real:
        assert AdministrativeUnit.objects.filter(level="commune").count() == 10_047
