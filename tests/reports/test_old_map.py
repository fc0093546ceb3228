"""A period before a reorganisation, on the old map or re-based on the new one (D57): the
merge of three communes into one and the split of one into two of
``tests/cases/test_reorganise.py``, with a person who moved before the change and one
registered after it."""

from __future__ import annotations

import datetime
import io
import re
from typing import Any

import pytest
from django.db import transaction
from django.utils.translation import gettext as _

from cases import residence
from cases.models import AdministrativeUnit, Case, Person, ReaddressedPerson, UnitSuccession
from cases.move_models import ResidenceSource
from cases.reorganise import reorganise
from reports import oldmap, registry, tables
from reports.registry import Cell
from services.models import TreatmentEpisode
from tests.cases.test_reorganise import H1, MAPPING, OPERATOR, Map
from tests.factories import make_case, make_person, make_user

pytestmark = pytest.mark.django_db

D = datetime.date
CHANGE = D(2025, 7, 1)  # the new map's first day


class World:
    """The test tree before the change, plus a mover (Cường → Sơn the day the map changed,
    so on H1's last day in Cường) and, after the change, a latecomer registered in the merged
    commune with a case and a treatment of H1 (their old commune cannot be told)."""

    def __init__(self) -> None:
        self.m = Map()
        units = self.m.units
        holder = Case.objects.first().organisation  # type: ignore[union-attr]
        self.mover = make_person(residence_commune=units["70103"], registered_by=holder)
        make_case(person=self.mover, organisation=holder, opened_on=D(2024, 1, 1))
        with transaction.atomic():
            Person.objects.filter(pk=self.mover.pk).update(residence_commune=units["70201"])
            Case.objects.filter(person=self.mover).update(residence_commune=units["70201"])
            residence.residence_record(
                person_id=self.mover.pk,
                old_commune_id=units["70103"].pk,
                new_commune_id=units["70201"].pk,
                on=CHANGE,
                source=ResidenceSource.MOVE,
            )
        self.chosen = self.m.people["70201"][0]
        reorganise(
            mapping=io.StringIO(MAPPING),
            by=OPERATOR,
            source="test.csv",
            choices=io.StringIO(f"person_id,new_code\n{self.chosen.pk},70210\n"),
            effective_on=CHANGE,
        )
        self.units = {u.code: u for u in AdministrativeUnit.objects.all()}
        self.late = make_person(residence_commune=self.units["70101"], registered_by=holder)
        case = make_case(person=self.late, organisation=holder, opened_on=D(2024, 6, 1))
        TreatmentEpisode.objects.create(
            case=case,
            modality="community_voluntary",
            provider=holder,
            started_on=D(2025, 3, 1),
            outcome="ongoing",
            recorded_by=make_user("late-recorder"),
        )

    def table(self, code: str, on_old_map: bool) -> tables.Table:
        unit = self.units[code]
        indicator = registry.get("TX_COVERAGE")
        if not on_old_map:
            return tables.build_table(indicator, unit, H1, None)
        run = oldmap.reorganisation_for(H1)
        assert run is not None
        old = oldmap.layout(unit, H1, run)
        return tables.build_tables(
            indicator, unit, H1, [None], layout=(old.rows, old.communes), placed=old.people
        )[None]


def _cells(table: tables.Table) -> dict[str, tuple[int, int | None]]:
    out = {}
    for row in table.rows:
        cell = table.cell(row.unit_id, None) or Cell(0, 0)
        out[row.code or "unassigned"] = (cell.numerator, cell.denominator)
    return out


def _total(table: tables.Table) -> tuple[int, int | None]:
    cell = table.total()
    assert cell is not None
    return cell.numerator, cell.denominator


@pytest.fixture
def world(db: None) -> World:
    return World()


def test_the_merged_commune_on_the_old_map_and_re_based(world: World) -> None:
    """The merged commune's H1 figure: one row re-based (the sum), its three old communes
    with their own counts on the old map (the mover in Cường, where they lived on 30 June),
    the latecomer in "unassigned"; the totals are equal, nobody lost or counted twice."""
    rebased = world.table("70101", on_old_map=False)
    assert _cells(rebased) == {"70101": (3, 6)}
    old = world.table("70101", on_old_map=True)
    assert [(r.code, r.label) for r in old.rows] == [
        ("70101", "Xã An"),
        ("70102", "Xã Bình"),
        ("70103", "Xã Cường"),
        ("", str(_("Unassigned (old commune not known)"))),
    ]
    assert _cells(old) == {
        "70101": (1, 2),
        "70102": (1, 1),
        "70103": (0, 2),
        "unassigned": (1, 1),
    }
    assert _total(old) == _total(rebased) == (3, 6)


def test_the_province_on_the_old_map_has_its_old_districts(world: World) -> None:
    """At the province: re-based rows are today's communes; on the old map the districts
    of that time with their communes' sums; the province's total is the same either way."""
    rebased = world.table("70", on_old_map=False)
    old = world.table("70", on_old_map=True)
    assert _cells(old) == {"701": (2, 5), "702": (2, 3), "unassigned": (1, 1)}
    got = _cells(rebased)
    assert (got["70101"], got["70201"], got["70210"]) == ((3, 6), (1, 2), (1, 1))
    assert _total(old) == _total(rebased) == (5, 9)


def test_the_split_commune_on_the_old_map_is_the_whole_old_commune(world: World) -> None:
    """The new commune split off Sơn shows, on the old map, Sơn as it was: its three people
    (one of them now in the new commune), the mover not yet there."""
    old = world.table("70210", on_old_map=True)
    assert _cells(old) == {"70201": (2, 3)}
    assert _cells(world.table("70210", on_old_map=False)) == {"70210": (1, 1)}


def test_the_reorganisation_keeps_its_mapping_and_who_it_re_addressed(world: World) -> None:
    run = oldmap.reorganisation_for(H1)
    assert run is not None and run.effective_on == CHANGE
    pairs = {
        (s.old_unit.code, s.new_unit.code, s.kind)
        for s in UnitSuccession.objects.filter(reorganisation=run).select_related(
            "old_unit", "new_unit"
        )
    }
    assert ("70102", "70101", "full") in pairs and ("70201", "70210", "partial") in pairs
    assert ReaddressedPerson.objects.get(person=world.chosen).old_unit.code == "70201"
    # Everyone of the old units at the run, the mover included (7 + 1), the latecomer not.
    assert ReaddressedPerson.objects.filter(reorganisation=run).count() == 8
    # A period that started after the change offers no old map.
    assert oldmap.reorganisation_for(registry.Period(CHANGE, D(2025, 9, 30))) is None


def test_the_dashboard_offers_the_map_choice_for_a_period_before_the_change(
    world: World,
) -> None:
    """The choice is on the page for H1 2025 (before the change), not for a period after
    it; on the old map the page names the units of that time and the total is the same."""
    from django.urls import reverse

    from accounts.models import User
    from tests.conftest import signed_in_client

    client = signed_in_client(User.objects.get(username="province_supervisor"))
    url = reverse("reports:dashboard")
    h1 = {"unit": "70101", "period": "half", "year": "2025", "half": "1"}
    page = client.get(url, h1).content.decode()
    assert 'name="map"' in page and 'data-testid="old-map"' not in page
    rebased = re.search(r'data-testid="line-TX_COVERAGE".*?</tr>', page, re.S)
    assert rebased is not None and "3 / 6" in rebased.group(0)

    page = client.get(url, h1 | {"map": "old"}).content.decode()
    shown = re.search(r'data-testid="old-map">(.*?)</p>', page, re.S)
    assert shown is not None
    assert "Xã An, Xã Bình, Xã Cường, Chưa xác định" in shown.group(1)
    old = re.search(r'data-testid="line-TX_COVERAGE".*?</tr>', page, re.S)
    assert old is not None and "3 / 6" in old.group(0)

    after = client.get(url, {"unit": "70101", "period": "half", "year": "2025", "half": "2"})
    assert 'name="map"' not in after.content.decode()


def test_the_six_monthly_report_on_the_old_map(world: World, settings: Any) -> None:
    """The report form offers the map once the map was changed; the first half of 2025 on
    the old map has the districts of that time and "unassigned", the same total as today's
    map, and the cover names the map."""
    from django.urls import reverse

    from accounts.models import User
    from reports import export
    from tests.conftest import signed_in_client

    viewer = User.objects.get(username="province_supervisor")
    periods = export.periods_for("half_year", year=2025, half=1)
    old = export.report_build(
        viewer=viewer, unit=world.units["70"], periods=periods, sharing=False, old_map=True
    )
    new = export.report_build(viewer=viewer, unit=world.units["70"], periods=periods, sharing=False)
    old_table = old.table("TX_COVERAGE", H1, None)
    new_table = new.table("TX_COVERAGE", H1, None)
    assert old_table is not None and new_table is not None
    assert _cells(old_table) == {"701": (2, 5), "702": (2, 3), "unassigned": (1, 1)}
    assert _total(old_table) == _total(new_table) == (5, 9)

    settings.HOA_NHAP_REPORT_BACKGROUND_ABOVE = 10**6  # built in the request
    client = signed_in_client(viewer)
    url = reverse("reports:report")
    assert 'name="map"' in client.get(url).content.decode()
    params: dict[str, str] = {
        "unit": str(world.units["70"].pk),
        "period_kind": "half_year",
        "year": "2025",
        "half": "1",
        "format": "csv",
    }
    response = client.get(url, params | {"map": "old"})
    body = response.content.decode("utf-8-sig")
    assert "Huyện Bắc" in body and "Huyện Nam" in body and "Phường Hợp Nhất" not in body
    body = client.get(url, params).content.decode("utf-8-sig")
    assert "Huyện Bắc" not in body and "Phường Hợp Nhất" in body
    cover = dict((line[0], line[1]) for line in export._cover(old) if len(line) == 2)
    assert "01/07/2025" in str(cover[str(_("Administrative map"))])
